// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

interface IERC20Minimal {
    function transfer(address to, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
}

/// @title StakingPool: reference L2 staking contract of Bitlayer proposal P002.
/// @notice Users stake native BTC (token = address(0), 18 decimals, 1 sat =
/// 1e10 wei) or an allowed ERC-20 into a plan, request unbonding of a stake,
/// and claim their principal once the governor approved the request
/// (approveUnbound) or opened the whole plan (approveWithdraw).
///
/// Every power over funds (approvals, pause, token allow-list, plan opening)
/// is held by ONE address, `governor`, meant to be a multisig in which
/// Bitlayer is a required signer (see GovernorMultisig.sol). There is no
/// upgrade path, no rescue of user funds, no arbitrary-call function, and the
/// governor cannot move anyone's funds anywhere but back to their owner.
///
/// reqId: one global counter; every stake and every unbound request consumes
/// the next id, so a reqId names exactly one event of this contract.
///
/// approveUnbound semantics (the relayer relies on this): the whole batch
/// REVERTS if any id is unknown, is not an unbound request, or was already
/// approved; nothing is skipped silently. A batch is all or nothing.
contract StakingPool {
    event TokenStaked(uint256 indexed reqId, address indexed user, uint256 indexed amount, address token, uint256 planId, uint256 duration, bytes extraInfo);
    event UnboundRequired(uint256 indexed reqId, address indexed user, uint256 indexed amount, address token, bytes extraInfo);
    event UnboundApproved(uint256 indexed reqId, bytes extraInfo);
    event WithdrawApproved(uint256 indexed planId);
    event Claimed(uint256 indexed reqId, address indexed user, uint256 amount, address token);
    event TokenAllowed(address indexed token, bool allowed);
    event Paused(bool paused);

    enum Kind { None, Stake, Unbound }
    enum State { None, Active, Requested, Approved, Claimed }

    struct Req {
        Kind kind;
        State state;
        address user;
        address token;
        uint256 amount;
        uint256 planId;
        uint256 stakeId; // for an unbound request: the stake it unbonds
    }

    address public immutable governor;
    uint256 public lastReqId;
    bool public paused;
    uint256 private locked = 1;

    mapping(uint256 => Req) public requests;
    mapping(uint256 => bool) public planOpen;
    mapping(address => bool) public tokenAllowed;

    error NotGovernor();
    error IsPaused();
    error ZeroAmount();
    error BadValue();
    error TokenNotAllowed();
    error NotYours();
    error BadState(uint256 reqId);
    error NotClaimable(uint256 reqId);
    error Reentrant();
    error TransferFailed();
    error ZeroGovernor();

    modifier onlyGovernor() {
        if (msg.sender != governor) revert NotGovernor();
        _;
    }

    modifier nonReentrant() {
        if (locked != 1) revert Reentrant();
        locked = 2;
        _;
        locked = 1;
    }

    modifier whenNotPaused() {
        if (paused) revert IsPaused();
        _;
    }

    constructor(address governor_) {
        if (governor_ == address(0)) revert ZeroGovernor();
        governor = governor_;
    }

    /// @notice Stake `amount` of `token` (address(0): native BTC, amount must equal msg.value).
    function stake(address token, uint256 amount, uint256 planId, uint256 duration, bytes calldata extraInfo)
        external
        payable
        nonReentrant
        whenNotPaused
        returns (uint256 reqId)
    {
        if (amount == 0) revert ZeroAmount();
        if (token == address(0)) {
            if (msg.value != amount) revert BadValue();
        } else {
            if (msg.value != 0) revert BadValue();
            if (!tokenAllowed[token]) revert TokenNotAllowed();
        }
        reqId = ++lastReqId;
        requests[reqId] = Req(Kind.Stake, State.Active, msg.sender, token, amount, planId, 0);
        emit TokenStaked(reqId, msg.sender, amount, token, planId, duration, extraInfo);
        if (token != address(0)) {
            if (!IERC20Minimal(token).transferFrom(msg.sender, address(this), amount)) revert TransferFailed();
        }
    }

    /// @notice Ask to unbond the whole of stake `stakeId` early; emits UnboundRequired with a new reqId.
    function requestUnbound(uint256 stakeId, bytes calldata extraInfo) external whenNotPaused returns (uint256 reqId) {
        Req storage s = requests[stakeId];
        if (s.kind != Kind.Stake) revert BadState(stakeId);
        if (s.user != msg.sender) revert NotYours();
        if (s.state != State.Active) revert BadState(stakeId);
        s.state = State.Requested;
        reqId = ++lastReqId;
        requests[reqId] = Req(Kind.Unbound, State.Requested, msg.sender, s.token, s.amount, s.planId, stakeId);
        emit UnboundRequired(reqId, msg.sender, s.amount, s.token, extraInfo);
    }

    /// @notice Approve unbound requests after their L1 funds reached the bridge.
    /// Reverts the whole batch on an unknown, non-unbound or already approved id.
    function approveUnbound(uint256[] calldata reqIds) external onlyGovernor {
        for (uint256 i = 0; i < reqIds.length; i++) {
            uint256 id = reqIds[i];
            Req storage r = requests[id];
            if (r.kind != Kind.Unbound || r.state != State.Requested) revert BadState(id);
            r.state = State.Approved;
            emit UnboundApproved(id, "");
        }
    }

    /// @notice Open redemption of a whole plan: every active stake of it becomes claimable.
    function approveWithdraw(uint256 planId) external onlyGovernor {
        if (planOpen[planId]) revert BadState(planId);
        planOpen[planId] = true;
        emit WithdrawApproved(planId);
    }

    /// @notice Claim principal: `reqId` is an approved unbound request, or a
    /// stake (not under an unbound request) whose plan is open. Pays the owner only.
    function claim(uint256 reqId) external nonReentrant {
        Req storage r = requests[reqId];
        if (r.user != msg.sender) revert NotYours();
        if (r.kind == Kind.Unbound && r.state == State.Approved) {
            r.state = State.Claimed;
            requests[r.stakeId].state = State.Claimed;
        } else if (r.kind == Kind.Stake && r.state == State.Active && planOpen[r.planId]) {
            r.state = State.Claimed;
        } else {
            revert NotClaimable(reqId);
        }
        address token = r.token;
        uint256 amount = r.amount;
        emit Claimed(reqId, msg.sender, amount, token);
        if (token == address(0)) {
            (bool ok, ) = payable(msg.sender).call{value: amount}("");
            if (!ok) revert TransferFailed();
        } else {
            if (!IERC20Minimal(token).transfer(msg.sender, amount)) revert TransferFailed();
        }
    }

    function setTokenAllowed(address token, bool allowed) external onlyGovernor {
        if (token == address(0)) revert TokenNotAllowed();
        tokenAllowed[token] = allowed;
        emit TokenAllowed(token, allowed);
    }

    /// @notice Pause new stakes and unbound requests. Claims stay open: a pause never traps funds.
    function setPaused(bool p) external onlyGovernor {
        paused = p;
        emit Paused(p);
    }
}
