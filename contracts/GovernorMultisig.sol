// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title GovernorMultisig: the StakingPool governor of P002.
/// @notice A call executes only with the confirmation of the Bitlayer key
/// (indispensable) AND at least `projectThreshold` distinct project keys.
/// Signers are fixed at deployment; there is no way to add, remove or
/// replace a signer, and the multisig holds and sends no value (calls carry
/// value 0 and it has no receive function).
contract GovernorMultisig {
    event Submitted(uint256 indexed id, address indexed by, address target, bytes data);
    event Confirmed(uint256 indexed id, address indexed by);
    event Executed(uint256 indexed id);

    struct Call {
        address target;
        bytes data;
        bool executed;
        bool bitlayerConfirmed;
        uint256 projectConfirmations;
    }

    address public immutable bitlayer;
    uint256 public immutable projectThreshold;
    mapping(address => bool) public isProject;
    Call[] private calls;
    mapping(uint256 => mapping(address => bool)) public confirmedBy;

    error NotSigner();
    error BadConfig();
    error UnknownCall();
    error AlreadyConfirmed();
    error AlreadyExecuted();
    error NotEnoughConfirmations();
    error CallFailed(bytes reason);

    constructor(address bitlayer_, address[] memory project, uint256 projectThreshold_) {
        if (bitlayer_ == address(0) || projectThreshold_ == 0 || projectThreshold_ > project.length) revert BadConfig();
        bitlayer = bitlayer_;
        projectThreshold = projectThreshold_;
        for (uint256 i = 0; i < project.length; i++) {
            address p = project[i];
            if (p == address(0) || p == bitlayer_ || isProject[p]) revert BadConfig();
            isProject[p] = true;
        }
    }

    modifier onlySigner() {
        if (msg.sender != bitlayer && !isProject[msg.sender]) revert NotSigner();
        _;
    }

    /// @notice Propose a call; the proposer's confirmation is counted.
    function submit(address target, bytes calldata data) external onlySigner returns (uint256 id) {
        id = calls.length;
        calls.push(Call(target, data, false, false, 0));
        emit Submitted(id, msg.sender, target, data);
        _confirm(id);
    }

    function confirm(uint256 id) external onlySigner {
        if (id >= calls.length) revert UnknownCall();
        _confirm(id);
    }

    /// @notice Execute a confirmed call (anyone may trigger it).
    function execute(uint256 id) external {
        if (id >= calls.length) revert UnknownCall();
        Call storage c = calls[id];
        if (c.executed) revert AlreadyExecuted();
        if (!c.bitlayerConfirmed || c.projectConfirmations < projectThreshold) revert NotEnoughConfirmations();
        c.executed = true;
        emit Executed(id);
        (bool ok, bytes memory ret) = c.target.call(c.data);
        if (!ok) revert CallFailed(ret);
    }

    function callCount() external view returns (uint256) {
        return calls.length;
    }

    function _confirm(uint256 id) private {
        Call storage c = calls[id];
        if (c.executed) revert AlreadyExecuted();
        if (confirmedBy[id][msg.sender]) revert AlreadyConfirmed();
        confirmedBy[id][msg.sender] = true;
        if (msg.sender == bitlayer) {
            c.bitlayerConfirmed = true;
        } else {
            c.projectConfirmations++;
        }
        emit Confirmed(id, msg.sender);
    }
}
