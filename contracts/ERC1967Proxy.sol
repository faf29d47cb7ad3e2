// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ERC1967Proxy: a minimal transparent proxy (ERC-1967 storage slots).
/// @notice Written for this repository (no OpenZeppelin): the second contract
/// profile of policyd's tests, shaped like the upgradeable staking contracts
/// deployed on Bitlayer. Every call from anyone but the admin is delegated to
/// the implementation. The admin may only call upgradeToAndCall,
/// changeAdmin, admin and implementation (it can never reach the
/// implementation, so an admin call is never mistaken for a user call). Every change of implementation emits
/// Upgraded and every change of admin AdminChanged: the events policyd's L2
/// indexer treats as a change of trust that freezes signing.
contract ERC1967Proxy {
    /// bytes32(uint256(keccak256("eip1967.proxy.implementation")) - 1)
    bytes32 internal constant IMPLEMENTATION_SLOT = 0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc;
    /// bytes32(uint256(keccak256("eip1967.proxy.admin")) - 1)
    bytes32 internal constant ADMIN_SLOT = 0xb53127684a568b3173ae13b9f8a6016e243e63b6e8ee1178d6a717850b5d6103;

    event Upgraded(address indexed implementation);
    event AdminChanged(address previousAdmin, address newAdmin);

    error NotContract(address implementation);
    error ZeroAdmin();
    error AdminCannotFallback();
    error InitFailed(bytes reason);

    constructor(address initialImplementation, address initialAdmin, bytes memory data) payable {
        _setAdmin(initialAdmin);
        _upgradeToAndCall(initialImplementation, data);
    }

    /// Admin functions run for the admin only; anyone else's call with the
    /// same selector is delegated to the implementation like any other.
    modifier ifAdmin() {
        if (msg.sender == _admin()) {
            _;
        } else {
            _delegate(_implementation());
        }
    }

    function upgradeToAndCall(address newImplementation, bytes calldata data) external payable ifAdmin {
        _upgradeToAndCall(newImplementation, data);
    }

    function changeAdmin(address newAdmin) external ifAdmin {
        _setAdmin(newAdmin);
    }

    function admin() external ifAdmin returns (address) {
        return _admin();
    }

    function implementation() external ifAdmin returns (address) {
        return _implementation();
    }

    fallback() external payable {
        if (msg.sender == _admin()) revert AdminCannotFallback();
        _delegate(_implementation());
    }

    receive() external payable {
        if (msg.sender == _admin()) revert AdminCannotFallback();
        _delegate(_implementation());
    }

    function _upgradeToAndCall(address impl, bytes memory data) private {
        if (impl.code.length == 0) revert NotContract(impl);
        assembly { sstore(IMPLEMENTATION_SLOT, impl) }
        emit Upgraded(impl);
        if (data.length > 0) {
            (bool ok, bytes memory ret) = impl.delegatecall(data);
            if (!ok) revert InitFailed(ret);
        }
    }

    function _setAdmin(address a) private {
        if (a == address(0)) revert ZeroAdmin();
        address prev = _admin();
        assembly { sstore(ADMIN_SLOT, a) }
        emit AdminChanged(prev, a);
    }

    function _admin() private view returns (address a) {
        assembly { a := sload(ADMIN_SLOT) }
    }

    function _implementation() private view returns (address a) {
        assembly { a := sload(IMPLEMENTATION_SLOT) }
    }

    function _delegate(address impl) private {
        assembly {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), impl, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            switch ok
            case 0 { revert(0, returndatasize()) }
            default { return(0, returndatasize()) }
        }
    }
}
