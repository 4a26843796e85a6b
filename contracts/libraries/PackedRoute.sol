// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title PackedRoute
/// @notice An approval route of up to 8 parties packed into one `uint192`: eight 24-bit directory
/// indices, step 0 in the lowest bits. Index 0 means "no party", so the route ends at the first 0.
/// @dev Packing the route beside the ticket's status, step, version and originator keeps the whole
/// hot state of a ticket in a single storage slot: an approval reads and writes one slot.
library PackedRoute {
    uint256 internal constant MAX_LENGTH = 8;
    uint256 private constant _BITS = 24;
    uint256 private constant _MASK = 0xFFFFFF;

    /// @notice The directory index at position `step` (0 past the end).
    function indexAt(uint192 route, uint256 step) internal pure returns (uint24) {
        if (step >= MAX_LENGTH) return 0;
        return uint24((uint256(route) >> (step * _BITS)) & _MASK);
    }

    /// @notice `route` with `index` written at position `step` (which must be empty).
    function put(uint192 route, uint256 step, uint24 index) internal pure returns (uint192) {
        return uint192(uint256(route) | (uint256(index) << (step * _BITS)));
    }

    /// @notice Number of parties on the route.
    function length(uint192 route) internal pure returns (uint256 n) {
        while (n < MAX_LENGTH && indexAt(route, n) != 0) {
            // n < MAX_LENGTH = 8, so the increment cannot overflow.
            unchecked {
                ++n;
            }
        }
    }

    /// @notice Position of `index` on the route, or MAX_LENGTH if absent.
    function positionOf(uint192 route, uint24 index) internal pure returns (uint256 step) {
        for (; step < MAX_LENGTH;) {
            uint24 here = indexAt(route, step);
            if (here == index) return step;
            if (here == 0) break;
            // step < MAX_LENGTH = 8, so the increment cannot overflow.
            unchecked {
                ++step;
            }
        }
        return MAX_LENGTH;
    }
}
