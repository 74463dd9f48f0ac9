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
}
