// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ReasonCode
/// @notice Shape checks for ISO 15022 field 24B / ISO 20022 sese.024 status reasons.
/// @dev The chain checks only the shape: a return must carry one of the three status qualifiers
/// that an approver can give (unmatched, pending/failing, rejected) and a code of four upper-case
/// letters. Whether the code is one the standard defines is checked by the client, which also
/// lets a CSD use its own proprietary codes under a data-source scheme.
library ReasonCode {
    bytes4 internal constant UNMATCHED = "NMAT";
    bytes4 internal constant PENDING_FAILING = "PENF";
    bytes4 internal constant REJECTED = "REJT";

    /// @notice Whether `qualifier` is NMAT, PENF or REJT and `code` is four letters A-Z.
    function isValid(bytes4 qualifier, bytes4 code) internal pure returns (bool) {
        if (qualifier != UNMATCHED && qualifier != PENDING_FAILING && qualifier != REJECTED) return false;
        for (uint256 i; i < 4;) {
            bytes1 c = code[i];
            if (c < "A" || c > "Z") return false;
            // i < 4, so the increment cannot overflow.
            unchecked {
                ++i;
            }
        }
        return true;
    }
}
