using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Ledger.Api.Security;
using Ledger.Contracts;
using Ledger.Testing;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Ledger.Api.Tests.Security;

/// <summary>
/// Production token validation against a live identity provider: the API, configured as in production (an authority and an
/// audience, no development key), fetches the provider's OpenID Connect metadata and keys over HTTPS and checks every
/// token's signature, issuer, audience and lifetime against them. The only thing the test changes on that path is that the
/// metadata back channel trusts the provider's self-signed certificate. Each refused token is paired with the same request
/// carrying the provider's own token, which gets through, so a refusal is for the flaw and not for a provider out of reach.
/// </summary>
public sealed class OidcAuthorityTests(OidcAuthorityTests.Deployment deployment) : IClassFixture<OidcAuthorityTests.Deployment>
{
    private const string Audience = "ledger-api-staging";

    private readonly LoopbackIdentityProvider _provider = deployment.Provider;

    [Fact]
    public async Task ProvidersToken_OpensAnAccount_AfterTheApiFetchedTheProvidersMetadataAndKeys()
    {
        using var response = await OpenAccountAsync(Token(Roles.Teller));

        await Teller.Expect(response, HttpStatusCode.Created);
        _provider.MetadataFetches.Should().BePositive("the API reads the authority's /.well-known/openid-configuration");
        _provider.KeysFetches.Should().BePositive("the API reads the signing keys from the metadata's jwks_uri");
    }

    [Fact]
    public async Task TokenSignedWithAnotherKey_UnderTheProvidersKeyId_IsUnauthenticated()
    {
        using var forger = RSA.Create(2048);
        var forged = new RsaSecurityKey(forger) { KeyId = LoopbackIdentityProvider.KeyId };

        await ExpectUnauthenticatedAsync(Token(Roles.Teller, key: forged));
    }

    [Fact]
    public async Task TokenForAnotherAudience_IsUnauthenticated() =>
        await ExpectUnauthenticatedAsync(Token(Roles.Teller, audience: "another-api"));

    [Fact]
    public async Task TokenFromAnotherIssuer_IsUnauthenticated() =>
        await ExpectUnauthenticatedAsync(Token(Roles.Teller, issuer: "https://identity.elsewhere.test/"));

    [Fact]
    public async Task ExpiredToken_BeyondTheClockSkew_IsUnauthenticated() =>
        await ExpectUnauthenticatedAsync(Token(Roles.Teller, expiresIn: TimeSpan.FromMinutes(-10)));

    [Fact]
    public async Task ProvidersToken_ForAnAuditor_IsForbiddenToOpenAnAccount()
    {
        using var response = await OpenAccountAsync(Token(Roles.Auditor));

        await Teller.ExpectProblem(response, HttpStatusCode.Forbidden, "/problems/forbidden");
    }

    private async Task ExpectUnauthenticatedAsync(string token)
    {
        using var refused = await OpenAccountAsync(token);
        using var control = await OpenAccountAsync(Token(Roles.Teller));

        await Teller.ExpectProblem(refused, HttpStatusCode.Unauthorized, "/problems/unauthenticated");
        await Teller.Expect(control, HttpStatusCode.Created);
    }

    private async Task<HttpResponseMessage> OpenAccountAsync(string token)
    {
        using var http = deployment.Api.CreateClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        using var body = new StringContent(Teller.Json(new { owner = "Ada Lovelace", currency = "EUR", overdraftLimit = 0 }),
            System.Text.Encoding.UTF8, "application/json");
        return await http.PostAsync(new Uri(Teller.AccountsPath, UriKind.Relative), body);
    }

    /// <summary>
    /// A token as the provider issues it (its issuer, the ledger's audience, issued an hour ago and valid for
    /// <paramref name="expiresIn"/> more, signed with its key) unless a test makes one of those wrong.
    /// </summary>
    private string Token(string role, SecurityKey? key = null, string? issuer = null, string audience = Audience,
        TimeSpan? expiresIn = null)
    {
        var now = DateTimeOffset.UtcNow;
        var claims = new[] { new Claim(JwtRegisteredClaimNames.Sub, "ada"), new Claim(new AuthOptions().RoleClaim, role) };
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer ?? _provider.Issuer,
            Audience = audience,
            Subject = new ClaimsIdentity(claims),
            IssuedAt = now.AddHours(-1).UtcDateTime,
            NotBefore = now.AddHours(-1).UtcDateTime,
            Expires = (now + (expiresIn ?? TimeSpan.FromHours(1))).UtcDateTime,
            SigningCredentials = new SigningCredentials(key ?? _provider.SigningKey, SecurityAlgorithms.RsaSha256),
        });
    }

    /// <summary>The provider, and the API trusting it as production would, with a database of its own.</summary>
    public sealed class Deployment : IAsyncLifetime
    {
        public LoopbackIdentityProvider Provider { get; private set; } = null!;

        public WebApplicationFactory<Program> Api { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Provider = await LoopbackIdentityProvider.StartAsync();
            Api = new ApiTrustingTheAuthority(Provider);
            _ = Api.Server;
        }

        public async Task DisposeAsync()
        {
            await Api.DisposeAsync();
            await Provider.DisposeAsync();
        }
    }

    /// <summary>
    /// The API in a production-like environment with <c>Auth:Authority</c> and <c>Auth:Audience</c> and no development key,
    /// on the embedded Kafka and a fresh database (as <c>LedgerApiFactory</c>), but without <c>TestTokens.TrustIn</c>: the
    /// authority's metadata is fetched, not given.
    /// </summary>
    private sealed class ApiTrustingTheAuthority(LoopbackIdentityProvider provider) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Staging");
            builder.UseSetting("ConnectionStrings:Ledger", PostgresServer.CreateDatabase());
            builder.UseSetting("Ledger:Embedded", "true");
            builder.UseSetting("Ledger:ApplySchemaOnStart", "true");
            builder.UseSetting("Auth:Authority", provider.Issuer);
            builder.UseSetting("Auth:Audience", Audience);
            // Configure, not PostConfigure: the handler must be in place before JwtBearer's own post-configuration builds the
            // metadata client from it.
            builder.ConfigureTestServices(services => services.Configure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme,
                options => options.BackchannelHttpHandler = provider.TrustingHandler()));
        }
    }
}

/// <summary>
/// A tiny OpenID Connect provider over HTTPS on a loopback port: its metadata (issuer = its own base URL), its JWKS with one
/// RSA signing key, and how often each was fetched. Its certificate is self-signed, made here for localhost and 127.0.0.1.
/// </summary>
public sealed class LoopbackIdentityProvider : IAsyncDisposable
{
    public const string KeyId = "loopback-provider-1";
    public const string MetadataPath = "/.well-known/openid-configuration";
    public const string KeysPath = "/keys";

    private readonly WebApplication _app;
    private readonly RSA _signing;
    private readonly X509Certificate2 _certificate;
    private int _metadataFetches;
    private int _keysFetches;

    private LoopbackIdentityProvider(WebApplication app, RSA signing, X509Certificate2 certificate)
    {
        _app = app;
        _signing = signing;
        _certificate = certificate;
        SigningKey = new RsaSecurityKey(signing) { KeyId = KeyId };
    }

    /// <summary>The provider's base URL, with a trailing slash; also its issuer.</summary>
    public string Issuer { get; private set; } = "";

    public RsaSecurityKey SigningKey { get; }

    public int MetadataFetches => Volatile.Read(ref _metadataFetches);

    public int KeysFetches => Volatile.Read(ref _keysFetches);

    public static async Task<LoopbackIdentityProvider> StartAsync()
    {
        var certificate = SelfSignedCertificate();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddRoutingCore();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate)));
        var provider = new LoopbackIdentityProvider(builder.Build(), RSA.Create(2048), certificate);
        provider.MapEndpoints();
        await provider._app.StartAsync();
        var address = new Uri(provider._app.Urls.Single());
        provider.Issuer = $"https://127.0.0.1:{address.Port}/";
        return provider;
    }

    /// <summary>A back channel that trusts this provider's certificate, and no other.</summary>
    public HttpMessageHandler TrustingHandler()
    {
        var expected = _certificate.GetCertHashString(HashAlgorithmName.SHA256);
        return new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, presented, _, _) =>
                presented is not null && presented.GetCertHashString(HashAlgorithmName.SHA256) == expected,
        };
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _signing.Dispose();
        _certificate.Dispose();
    }

    private void MapEndpoints()
    {
        _app.MapGet(MetadataPath, () =>
        {
            Interlocked.Increment(ref _metadataFetches);
            // What token validation reads from the metadata; a real provider publishes more (endpoints, supported flows).
            return Json(new Dictionary<string, string> { ["issuer"] = Issuer, ["jwks_uri"] = $"{Issuer.TrimEnd('/')}{KeysPath}" });
        });
        _app.MapGet(KeysPath, () =>
        {
            Interlocked.Increment(ref _keysFetches);
            var published = new RsaSecurityKey(_signing.ExportParameters(includePrivateParameters: false)) { KeyId = KeyId };
            var key = JsonWebKeyConverter.ConvertFromRSASecurityKey(published);
            var jwk = new { kty = key.Kty, use = "sig", alg = SecurityAlgorithms.RsaSha256, kid = key.Kid, n = key.N, e = key.E };
            return Json(new { keys = new[] { jwk } });
        });
    }

    private static IResult Json(object body) => Results.Text(JsonSerializer.Serialize(body), "application/json");

    private static X509Certificate2 SelfSignedCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false,
            pathLengthConstraint: 0, critical: true));
        var serverAuthentication = new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication");
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([serverAuthentication], critical: false));
        var now = DateTimeOffset.UtcNow;
        using var created = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        // Through PKCS#12, so that the private key is one TLS can use on every platform.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), password: null);
    }
}
