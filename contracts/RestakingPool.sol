// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title RestakingPool: the second L2 contract profile of policyd's tests.
/// @notice An upgradeable (behind ERC1967Proxy) AccessControl staking
/// contract that emits exactly P002's events, shaped like the liquid
/// restaking contracts deployed on Bitlayer, and unlike the reference
/// StakingPool in the ways a relayer must not depend on:
///
/// - reqIds come from a counter seeded with a keccak hash: full-width
///   uint256 values of 77 decimal digits;
/// - approveUnbound NEVER reverts on an id that is unknown, not an unbound
///   request, or already approved: it approves what it can and emits
///   UnboundApproved for every id it was given, again on a repeat;
/// - approveWithdraw of an open plan emits WithdrawApproved again;
/// - approvals belong to APPROVER_ROLE, roles to DEFAULT_ADMIN_ROLE
///   (RoleGranted / RoleRevoked), upgrades to the proxy admin (Upgraded /
///   AdminChanged);
/// - no requests(uint256) / planOpen(uint256) getters (getRequest and
///   isPlanOpen have other selectors).
///
/// AccessControl is written here (no OpenZeppelin), minimal and with
/// OpenZeppelin's event signatures.
contract RestakingPool {
    event TokenStaked(uint256 indexed reqId, address indexed user, uint256 indexed amount, address token, uint256 planId, uint256 duration, bytes extraInfo);
    event UnboundRequired(uint256 indexed reqId, address indexed user, uint256 indexed amount, address token, bytes extraInfo);
    event UnboundApproved(uint256 indexed reqId, bytes extraInfo);
    event WithdrawApproved(uint256 indexed planId);
    event Claimed(uint256 indexed reqId, address indexed user, uint256 amount, address token);
    event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender);
    event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender);
    event RoleAdminChanged(bytes32 indexed role, bytes32 indexed previousAdminRole, bytes32 indexed newAdminRole);
    event Initialized(uint64 version);

    bytes32 public constant DEFAULT_ADMIN_ROLE = 0x00;
    bytes32 public constant APPROVER_ROLE = keccak256("APPROVER_ROLE");

    enum Kind { None, Stake, Unbound }
    enum State { None, Active, Requested, Approved, Claimed }

    struct Req {
        Kind kind;
        State state;
        address user;
        address token;
        uint256 amount;
        uint256 planId;
        uint256 stakeId;
    }

    // Storage (behind the proxy; append only in later versions).
    bool private initialized;
    uint256 private locked;
    uint256 public lastReqId;
    mapping(uint256 => Req) private reqs;
    mapping(uint256 => bool) private plans;
    mapping(bytes32 => mapping(address => bool)) private members;
    mapping(bytes32 => bytes32) private roleAdmins;

    error AlreadyInitialized();
    error MissingRole(bytes32 role, address account);
    error ZeroAmount();
    error BadValue();
    error TokenNotAllowed();
    error NotYours();
    error BadState(uint256 reqId);
    error NotClaimable(uint256 reqId);
    error Reentrant();
    error TransferFailed();
    error ZeroAdmin();

    modifier onlyRole(bytes32 role) {
        if (!members[role][msg.sender]) revert MissingRole(role, msg.sender);
        _;
    }

    modifier nonReentrant() {
        if (locked == 2) revert Reentrant();
        locked = 2;
        _;
        locked = 1;
    }

    /// The implementation itself can never be initialized: only a proxy.
    constructor() {
        initialized = true;
    }

    /// @notice Called once through the proxy. `seed` separates deployments;
    /// the first reqId is 10^76 + keccak256(seed, chain, proxy) mod 9*10^76,
    /// so every id has 77 digits.
    function initialize(address admin, address approver, bytes32 seed) external {
        if (initialized) revert AlreadyInitialized();
        if (admin == address(0)) revert ZeroAdmin();
        initialized = true;
        locked = 1;
        lastReqId = 1e76 + uint256(keccak256(abi.encode(seed, block.chainid, address(this)))) % 8e76;
        _grant(DEFAULT_ADMIN_ROLE, admin);
        if (approver != address(0)) _grant(APPROVER_ROLE, approver);
        emit Initialized(1);
    }

    // ---- AccessControl ----

    function hasRole(bytes32 role, address account) public view returns (bool) {
        return members[role][account];
    }

    function getRoleAdmin(bytes32 role) public view returns (bytes32) {
        return roleAdmins[role];
    }

    function grantRole(bytes32 role, address account) external onlyRole(getRoleAdmin(role)) {
        _grant(role, account);
    }

    function revokeRole(bytes32 role, address account) external onlyRole(getRoleAdmin(role)) {
        _revoke(role, account);
    }

    function renounceRole(bytes32 role) external {
        _revoke(role, msg.sender);
    }

    function setRoleAdmin(bytes32 role, bytes32 adminRole) external onlyRole(DEFAULT_ADMIN_ROLE) {
        emit RoleAdminChanged(role, roleAdmins[role], adminRole);
        roleAdmins[role] = adminRole;
    }

    function _grant(bytes32 role, address account) private {
        if (!members[role][account]) {
            members[role][account] = true;
            emit RoleGranted(role, account, msg.sender);
        }
    }

    function _revoke(bytes32 role, address account) private {
        if (members[role][account]) {
            members[role][account] = false;
            emit RoleRevoked(role, account, msg.sender);
        }
    }

    // ---- P002 ----

    /// @notice Stake `amount` of native BTC (token must be address(0), amount == msg.value).
    function stake(address token, uint256 amount, uint256 planId, uint256 duration, bytes calldata extraInfo)
        external
        payable
        nonReentrant
        returns (uint256 reqId)
    {
        if (amount == 0) revert ZeroAmount();
        if (token != address(0)) revert TokenNotAllowed();
        if (msg.value != amount) revert BadValue();
        reqId = ++lastReqId;
        reqs[reqId] = Req(Kind.Stake, State.Active, msg.sender, token, amount, planId, 0);
        emit TokenStaked(reqId, msg.sender, amount, token, planId, duration, extraInfo);
    }

    /// @notice Ask to unbond the whole of stake `stakeId`; emits UnboundRequired with a new reqId.
    function requestUnbound(uint256 stakeId, bytes calldata extraInfo) external returns (uint256 reqId) {
        Req storage s = reqs[stakeId];
        if (s.kind != Kind.Stake || s.state != State.Active) revert BadState(stakeId);
        if (s.user != msg.sender) revert NotYours();
        s.state = State.Requested;
        reqId = ++lastReqId;
        reqs[reqId] = Req(Kind.Unbound, State.Requested, msg.sender, s.token, s.amount, s.planId, stakeId);
        emit UnboundRequired(reqId, msg.sender, s.amount, s.token, extraInfo);
    }

    /// @notice Approve unbound requests. Never reverts on an id: a pending
    /// unbound request becomes approved, anything else is left as it is, and
    /// UnboundApproved is emitted for every id given (again on a repeat).
    function approveUnbound(uint256[] calldata reqIds) external onlyRole(APPROVER_ROLE) {
        for (uint256 i = 0; i < reqIds.length; i++) {
            uint256 id = reqIds[i];
            Req storage r = reqs[id];
            if (r.kind == Kind.Unbound && r.state == State.Requested) {
                r.state = State.Approved;
            }
            emit UnboundApproved(id, "");
        }
    }

    /// @notice Open a whole plan's redemption (idempotent: emits again).
    function approveWithdraw(uint256 planId) external onlyRole(APPROVER_ROLE) {
        plans[planId] = true;
        emit WithdrawApproved(planId);
    }

    /// @notice Claim principal of an approved unbound request, or of an active stake of an open plan.
    function claim(uint256 reqId) external nonReentrant {
        Req storage r = reqs[reqId];
        if (r.user != msg.sender) revert NotYours();
        if (r.kind == Kind.Unbound && r.state == State.Approved) {
            r.state = State.Claimed;
            reqs[r.stakeId].state = State.Claimed;
        } else if (r.kind == Kind.Stake && r.state == State.Active && plans[r.planId]) {
            r.state = State.Claimed;
        } else {
            revert NotClaimable(reqId);
        }
        uint256 amount = r.amount;
        emit Claimed(reqId, msg.sender, amount, address(0));
        (bool ok, ) = payable(msg.sender).call{value: amount}("");
        if (!ok) revert TransferFailed();
    }

    function getRequest(uint256 reqId) external view returns (Req memory) {
        return reqs[reqId];
    }

    function isPlanOpen(uint256 planId) external view returns (bool) {
        return plans[planId];
    }
}
