// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title X25519Key
/// @notice Validity of a 32-byte x25519 public key (RFC 7748 u-coordinate, little-endian).
/// @dev A key is refused when
/// - it is non-canonical: u >= p = 2^255 - 19 (this includes every encoding with the top bit
///   set, which RFC 7748 tells receivers to mask off, so two encodings would name one key); or
/// - it has small order: Diffie-Hellman with it yields a fixed, publicly known value (the all-zero
///   output after clamping), so nothing sealed to it is secret and every counterparty's key
///   agreement fails. The five canonical small-order u-coordinates (curve and twist) are
///   0, 1, p - 1 and the two of order 8 below; as little-endian bytes:
///   0000000000000000000000000000000000000000000000000000000000000000 (u = 0)
///   0100000000000000000000000000000000000000000000000000000000000000 (u = 1)
///   ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f (u = p - 1)
///   e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800 (order 8)
///   5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157 (order 8)
library X25519Key {
    uint256 private constant _P = 2 ** 255 - 19;
    uint256 private constant _ORDER_8_A = 325606250916557431795983626356110631294008115727848805560023387167927233504;
    uint256 private constant _ORDER_8_B = 39382357235489614581723060781553021112529911719440698176882885853963445705823;

    /// @notice Whether `key` is a canonical x25519 public key of large order.
    function isValid(bytes32 key) internal pure returns (bool) {
        uint256 u = _littleEndian(uint256(key));
        if (u >= _P) return false;
        return u > 1 && u != _P - 1 && u != _ORDER_8_A && u != _ORDER_8_B;
    }

    /// @dev Reverses the 32 bytes of `v`: x25519 keys are little-endian, the EVM is big-endian.
    function _littleEndian(uint256 v) private pure returns (uint256) {
        v =
            ((v & 0xFF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00) >> 8) |
            ((v & 0x00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF) << 8);
        v =
            ((v & 0xFFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000) >> 16) |
            ((v & 0x0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF) << 16);
        v =
            ((v & 0xFFFFFFFF00000000FFFFFFFF00000000FFFFFFFF00000000FFFFFFFF00000000) >> 32) |
            ((v & 0x00000000FFFFFFFF00000000FFFFFFFF00000000FFFFFFFF00000000FFFFFFFF) << 32);
        v =
            ((v & 0xFFFFFFFFFFFFFFFF0000000000000000FFFFFFFFFFFFFFFF0000000000000000) >> 64) |
            ((v & 0x0000000000000000FFFFFFFFFFFFFFFF0000000000000000FFFFFFFFFFFFFFFF) << 64);
        return (v >> 128) | (v << 128);
    }
}
