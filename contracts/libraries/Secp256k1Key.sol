// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Secp256k1Key
/// @notice Validity of a compressed (SEC 1, 33-byte) secp256k1 public key.
/// @dev A spending key off the curve would make every one-time address derived from it
/// unusable, and the originator's client would fail on the ticket; refusing it at registration
/// keeps the failure with the party that made it. The check is the curve equation: the prefix
/// is 0x02 or 0x03, x < p, and x^3 + 7 is a square mod p (Euler's criterion through the
/// modular exponentiation precompile, about 1,400 gas).
library Secp256k1Key {
    uint256 private constant _P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F;
    address private constant _MODEXP = address(0x05);

    /// @notice Whether `key` is a compressed point on secp256k1.
    function isValidCompressed(bytes calldata key) internal view returns (bool) {
        if (key.length != 33 || (key[0] != 0x02 && key[0] != 0x03)) return false;
        uint256 x = uint256(bytes32(key[1:33]));
        if (x >= _P) return false;
        uint256 rhs = addmod(mulmod(mulmod(x, x, _P), x, _P), 7, _P);
        (bool ok, bytes memory out) = _MODEXP.staticcall(
            abi.encodePacked(uint256(32), uint256(32), uint256(32), rhs, (_P - 1) / 2, _P)
        );
        return ok && out.length == 32 && uint256(bytes32(out)) == 1;
    }
}
