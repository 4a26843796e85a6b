// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice Valid keys and announcement values for Solidity tests, which need well-formed inputs
/// but not working stealth addresses (any address can stand on a route for the contract).
library Fixtures {
    /// @dev The x25519 base point u = 9 (little-endian): canonical and of large order.
    bytes32 internal constant EPHEMERAL_KEY = bytes32(uint256(9) << 248);
    bytes8 internal constant VIEW_TAGS = 0x0102030405060708;

    /// @dev The secp256k1 generator, compressed.
    function spendingKey() internal pure returns (bytes memory) {
        return hex"0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
    }

    /// @dev A canonical x25519 key from `seed` (top bit cleared; small order has probability 2^-250).
    function viewingKey(uint256 seed) internal pure returns (bytes32) {
        return bytes32(uint256(keccak256(abi.encode("viewing", seed))) & ~uint256(0x80));
    }

    /// @dev `n` distinct one-time addresses for `ticket` and `version`.
    function route(bytes32 ticket, uint256 version, uint256 n) internal pure returns (address[] memory r) {
        r = new address[](n);
        for (uint256 i; i < n; ++i) r[i] = address(uint160(uint256(keccak256(abi.encode(ticket, version, i)))));
    }
}
