using System.Net.Http.Headers;
using Ledger.Development.Identity;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Ledger.Testing;

/// <summary>
/// Tokens for the test hosts. In-process hosts run the production path (an authority and an audience, no development key)
/// with the authority's metadata replaced by this key, so no identity provider is needed; child processes run in
/// Development with this key as their development key. Either way a token is checked for signature, issuer, audience and
/// lifetime exactly as in production.
/// </summary>
public static class TestTokens
{
    /// <summary>A key for tests only, never the development key the API ships with.</summary>
    public const string KeyBase64 = "dGVzdHMgb25seTogbm90IGEga2V5IGFueSBsZWRnZXIgdHJ1c3Rz";

    /// <summary>What in-process hosts are configured with; the metadata at this address is never fetched.</summary>
    public const string Authority = "https://identity.ledger.test/";

    /// <summary>A signed token for one role, valid for an hour.</summary>
    public static string For(string role, string? subject = null, TimeSpan? lifetime = null) =>
        DevelopmentTokens.Mint(DevelopmentTokens.Key(KeyBase64), subject ?? $"test-{role}", [role], lifetime ?? TimeSpan.FromHours(1),
            DateTimeOffset.UtcNow);

    public static AuthenticationHeaderValue Bearer(string role, string? subject = null) => new("Bearer", For(role, subject));

    /// <summary>Sends every request of <paramref name="http"/> as <paramref name="role"/>.</summary>
    public static HttpClient As(this HttpClient http, string role, string? subject = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        http.DefaultRequestHeaders.Authorization = Bearer(role, subject);
        return http;
    }

    /// <summary>Makes an in-process API trust these tokens (and only these).</summary>
    public static void TrustIn(IWebHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.UseSetting("Auth:Authority", Authority);
        builder.UseSetting("Auth:Audience", DevelopmentTokens.Audience);
        builder.ConfigureTestServices(services => services.PostConfigure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, options =>
        {
            var key = DevelopmentTokens.Key(KeyBase64);
            var metadata = new OpenIdConnectConfiguration { Issuer = DevelopmentTokens.Issuer };
            metadata.SigningKeys.Add(key);
            options.Configuration = metadata;
            options.ConfigurationManager = new StaticConfigurationManager<OpenIdConnectConfiguration>(metadata);
            options.TokenValidationParameters.ValidIssuer = DevelopmentTokens.Issuer;
        }));
    }

    /// <summary>
    /// The settings a child-process API needs: in Development, to trust these tokens; elsewhere, an authority and an
    /// audience, as production has (their metadata is fetched only when a token is checked, which such tests do not do).
    /// </summary>
    public static IReadOnlyDictionary<string, string?> ChildProcessSettings(string environment) => environment == "Development"
        ? new Dictionary<string, string?> { ["ASPNETCORE_ENVIRONMENT"] = environment, ["Auth__DevelopmentSigningKey"] = KeyBase64 }
        : new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = environment, ["Auth__Authority"] = Authority, ["Auth__Audience"] = DevelopmentTokens.Audience,
        };
}
