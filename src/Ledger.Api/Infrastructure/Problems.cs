namespace Ledger.Api.Infrastructure;

/// <summary>
/// One kind of error the API reports, with its stable RFC 9457 <c>type</c> URI (documented in docs/api.md). A kind that
/// asks the client to come back (every 503) says after how many seconds, sent as <c>Retry-After</c>.
/// </summary>
public sealed record ProblemKind(string Slug, int Status, string Title, int? RetryAfterSeconds = null)
{
    public string Type => $"/problems/{Slug}";
}

public static class Problems
{
    public static readonly ProblemKind Unauthenticated = new("unauthenticated", 401, "The request needs a valid bearer token.");
    public static readonly ProblemKind Forbidden = new("forbidden", 403, "The token's roles do not allow this request.");
    public static readonly ProblemKind Validation = new("validation-error", 400, "The request is not valid.");
    public static readonly ProblemKind MalformedRequest = new("malformed-request", 400, "The request body could not be read.");
    public static readonly ProblemKind AccountNotFound = new("account-not-found", 404, "The account does not exist.");
    public static readonly ProblemKind AccountNotYetCreated = new("account-not-yet-created", 404, "The account did not exist yet at that instant.");
    public static readonly ProblemKind TransferNotFound = new("transfer-not-found", 404, "The transfer does not exist.");
    public static readonly ProblemKind AccountAlreadyExists = new("account-already-exists", 409, "An account with this id already exists with different content.");
    public static readonly ProblemKind TransferAlreadyExists = new("transfer-already-exists", 409, "A transfer with this id already exists with different content.");
    public static readonly ProblemKind IdempotencyKeyInFlight = new("idempotency-key-in-flight", 409, "A request with this Idempotency-Key is still being processed.");
    public static readonly ProblemKind VersionMismatch = new("version-mismatch", 412, "The account has changed since the version given in If-Match.");
    public static readonly ProblemKind PayloadTooLarge = new("payload-too-large", 413, "The request body is larger than the API accepts.");
    public static readonly ProblemKind UnsupportedMediaType = new("unsupported-media-type", 415, "The body must be JSON.");
    public static readonly ProblemKind NotFound = new("not-found", 404, "There is no such resource.");
    public static readonly ProblemKind MethodNotAllowed = new("method-not-allowed", 405, "The resource does not accept this method.");
    public static readonly ProblemKind IdempotencyKeyReused = new("idempotency-key-reused", 422, "This Idempotency-Key was used with a different request.");
    public static readonly ProblemKind InsufficientFunds = new("insufficient-funds", 422, "The account cannot cover this debit.");
    public static readonly ProblemKind CurrencyMismatch = new("currency-mismatch", 422, "The accounts hold different currencies.");
    public static readonly ProblemKind SameAccount = new("same-account", 422, "A transfer needs two different accounts.");
    public static readonly ProblemKind AccountFrozen = new("account-frozen", 422, "The account is frozen: money may come in, not go out.");
    public static readonly ProblemKind AccountClosed = new("account-closed", 422, "The account is closed.");
    public static readonly ProblemKind AccountStatusUnchanged = new("account-status-unchanged", 409, "The account is already in the status asked for.");
    public static readonly ProblemKind AccountNotSettled = new("account-not-settled", 422, "The account has a balance or open holds and cannot be closed.");
    public static readonly ProblemKind HoldNotFound = new("hold-not-found", 404, "The hold does not exist on this account.");
    public static readonly ProblemKind HoldAlreadyExists = new("hold-already-exists", 409, "A hold with this id already exists with different content.");
    public static readonly ProblemKind HoldNotOpen = new("hold-not-open", 409, "The hold was captured or released already.");
    public static readonly ProblemKind HoldExpired = new("hold-expired", 409, "The hold has expired and can no longer be captured.");
    public static readonly ProblemKind HoldNotExpired = new("hold-not-expired", 409, "The hold has not expired.");
    public static readonly ProblemKind CaptureOutOfRange = new("capture-out-of-range", 422, "A capture must be more than zero and at most the amount held.");
    public static readonly ProblemKind ExpiryNotInFuture = new("expiry-not-in-future", 422, "A hold's expiry must be later than now.");
    public static readonly ProblemKind WrongHoldKind = new("wrong-hold-kind", 409, "Movements awaiting approval are approved or rejected; holds are captured or released.");
    public static readonly ProblemKind ApprovalNotFound = new("approval-not-found", 404, "There is no movement awaiting approval with this id.");
    public static readonly ProblemKind SelfApproval = new("self-approval", 403, "The person who requested a movement may not approve or reject it.");
    public static readonly ProblemKind AmountOutOfRange = new("amount-out-of-range", 422, "The amount is outside the accepted range.");
    public static readonly ProblemKind BalanceOutOfRange = new("balance-out-of-range", 422, "The balance would leave the representable range.");
    public static readonly ProblemKind ProjectionNotFound = new("projection-not-found", 404, "There is no projection with this name.");
    public static readonly ProblemKind RebuildNotFound = new("rebuild-not-found", 404, "The projection has no rebuild with this id.");
    public static readonly ProblemKind RebuildInProgress = new("rebuild-in-progress", 409, "The projection is already being rebuilt.");
    public static readonly ProblemKind RateLimited =
        new("rate-limited", 429, "This client has sent too many requests; retry after the time given in Retry-After.");
    public static readonly ProblemKind Busy = new("busy", 503, "The ledger is busy; retry shortly.", RetryAfterSeconds: 1);
    public static readonly ProblemKind DatabaseUnavailable =
        new("database-unavailable", 503, "The database is unavailable; retry shortly.", RetryAfterSeconds: 5);
    public static readonly ProblemKind Internal = new("internal-error", 500, "An unexpected error occurred.");

    public static ProblemKind? Find(string? type) => All.FirstOrDefault(kind => kind.Type == type);

    public static IReadOnlyList<ProblemKind> All { get; } =
    [
        Unauthenticated, Forbidden, Validation, MalformedRequest, AccountNotFound, AccountNotYetCreated, TransferNotFound, AccountAlreadyExists, TransferAlreadyExists,
        IdempotencyKeyInFlight, VersionMismatch, PayloadTooLarge, UnsupportedMediaType, NotFound, MethodNotAllowed, IdempotencyKeyReused, InsufficientFunds, CurrencyMismatch, SameAccount,
        AccountFrozen, AccountClosed, AccountStatusUnchanged, AccountNotSettled, HoldNotFound, HoldAlreadyExists, HoldNotOpen, HoldExpired,
        HoldNotExpired, CaptureOutOfRange, ExpiryNotInFuture, WrongHoldKind, ApprovalNotFound, SelfApproval, AmountOutOfRange, BalanceOutOfRange, ProjectionNotFound, RebuildNotFound, RebuildInProgress, RateLimited, Busy, DatabaseUnavailable, Internal,
    ];
}

/// <summary>An expected outcome that is not a success (unknown account, conflict, stale version): answered with its problem.</summary>
public sealed class ProblemException(ProblemKind kind, string detail, Exception? innerException = null) : Exception(detail, innerException)
{
    public ProblemKind Kind { get; } = kind;

    public static ProblemException AccountNotFound(Guid accountId) => new(Problems.AccountNotFound, $"Account {accountId} does not exist.");
}

public static class RequestLimits
{
    /// <summary>The largest request body the API reads (64 KiB).</summary>
    public const long BodyBytesMax = 64 * 1024;

    /// <summary>The deepest nesting of a JSON body the API reads; every command body is one level deep.</summary>
    public const int JsonDepthMax = 16;
}
