// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title StealthRoute
/// @notice An approval route of one-time addresses, kept on chain only as a commitment.
/// @dev The route is calldata in every ticket action and lives in the create and revise events;
/// storage holds `keccak256(abi.encode(route))`, one slot whatever the route's length.
library StealthRoute {
    uint256 internal constant MAX_LENGTH = 8;
    /// @dev Returned by {positionOf} for an address not on the route.
    uint256 internal constant ABSENT = type(uint256).max;

    /// @notice The commitment stored for `route`.
    function commit(address[] calldata route) internal pure returns (bytes32) {
        return keccak256(abi.encode(route));
    }

    /// @notice The position of `account` on `route`, or {ABSENT}.
    function positionOf(address[] calldata route, address account) internal pure returns (uint256) {
        uint256 n = route.length;
        for (uint256 i; i < n;) {
            if (route[i] == account) return i;
            // i < n <= MAX_LENGTH, so the increment cannot overflow.
            unchecked {
                ++i;
            }
        }
        return ABSENT;
    }

    /// @notice The position of the first entry of `route` that is zero, equal to `originator`, or
    /// equal to an earlier entry, with whether it is a repeat; ({ABSENT}, false) if none is.
    /// @dev Quadratic in the length, which is at most 8: 28 comparisons at worst.
    function firstInvalid(
        address[] calldata route,
        address originator
    ) internal pure returns (uint256 position, bool repeated) {
        uint256 n = route.length;
        for (uint256 i; i < n;) {
            address a = route[i];
            if (a == address(0) || a == originator) return (i, false);
            for (uint256 j; j < i;) {
                if (route[j] == a) return (i, true);
                // j < i < n <= MAX_LENGTH, so the increment cannot overflow.
                unchecked {
                    ++j;
                }
            }
            // i < n <= MAX_LENGTH, so the increment cannot overflow.
            unchecked {
                ++i;
            }
        }
        return (ABSENT, false);
    }
}
