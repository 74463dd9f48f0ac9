namespace Ledger.Testing;

/// <summary>Problem types the API promises (src/Ledger.Api/Infrastructure/Problems.cs), spelled out so a rename fails a test.</summary>
public static class ProblemTypes
{
    public const string Validation = "/problems/validation-error";
    public const string MalformedRequest = "/problems/malformed-request";
    public const string AccountNotFound = "/problems/account-not-found";
    public const string TransferNotFound = "/problems/transfer-not-found";
    public const string AccountAlreadyExists = "/problems/account-already-exists";
    public const string TransferAlreadyExists = "/problems/transfer-already-exists";
    public const string VersionMismatch = "/problems/version-mismatch";
    public const string InsufficientFunds = "/problems/insufficient-funds";
    public const string CurrencyMismatch = "/problems/currency-mismatch";
    public const string SameAccount = "/problems/same-account";
    public const string UnsupportedMediaType = "/problems/unsupported-media-type";
    public const string Forbidden = "/problems/forbidden";
    public const string IdempotencyKeyReused = "/problems/idempotency-key-reused";
    public const string AccountFrozen = "/problems/account-frozen";
    public const string AccountClosed = "/problems/account-closed";
    public const string AccountStatusUnchanged = "/problems/account-status-unchanged";
    public const string AccountNotSettled = "/problems/account-not-settled";
    public const string HoldNotFound = "/problems/hold-not-found";
    public const string HoldAlreadyExists = "/problems/hold-already-exists";
    public const string HoldNotOpen = "/problems/hold-not-open";
    public const string HoldExpired = "/problems/hold-expired";
    public const string CaptureOutOfRange = "/problems/capture-out-of-range";
    public const string ExpiryNotInFuture = "/problems/expiry-not-in-future";
    public const string WrongHoldKind = "/problems/wrong-hold-kind";
    public const string ApprovalNotFound = "/problems/approval-not-found";
    public const string SelfApproval = "/problems/self-approval";
}
