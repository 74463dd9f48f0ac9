using Ledger.Development.Identity;
using Ledger.EventStore;
using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace Ledger.Api.Security;

/// <summary><c>Auth:*</c> settings (docs/security.md).</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>The identity provider (OIDC issuer) whose metadata and signing keys the API trusts. Required outside Development.</summary>
    public string? Authority { get; set; }

    /// <summary>The audience tokens must be issued for. Required outside Development.</summary>
    public string? Audience { get; set; }

    /// <summary>The claim that carries roles in the provider's tokens.</summary>
    public string RoleClaim { get; set; } = DevelopmentTokens.RoleClaim;

    /// <summary>Development only: a symmetric key (base64, 256 bits or more) that <c>ledger token</c> signs with.</summary>
    public string? DevelopmentSigningKey { get; set; }
}

/// <summary>
/// JWT bearer authentication: tokens from the configured authority (OIDC metadata), or, in Development only, tokens signed
/// with the development key. Start-up refuses a configuration that would accept forged tokens or none at all.
/// </summary>
public static class AuthSetup
{
    public static AuthOptions Read(IConfiguration configuration) =>
        configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();

    /// <summary>Registers authentication and the policies; <see cref="Check"/> has accepted the settings already.</summary>
    public static void AddLedgerAuth(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var auth = Read(configuration);

        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(options =>
        {
            // Claims keep the names they have in the token ("sub", "role"), not the WS-Federation URIs.
            options.MapInboundClaims = false;
            options.TokenValidationParameters.NameClaimType = "sub";
            options.TokenValidationParameters.RoleClaimType = auth.RoleClaim;
            options.TokenValidationParameters.ClockSkew = TimeSpan.FromMinutes(1);
            // Every event records who appended it (Actor): a token must name its subject, as an identifier of sane length.
            options.Events = new JwtBearerEvents
            {
                OnTokenValidated = context =>
                {
                    var subject = context.Principal?.Identity?.Name;
                    if (string.IsNullOrWhiteSpace(subject) || subject.Length > Actor.LengthMax)
                    {
                        context.Fail($"The token's sub claim must name the caller in 1 to {Actor.LengthMax} characters.");
                    }

                    return Task.CompletedTask;
                },
            };
            if (!string.IsNullOrWhiteSpace(auth.DevelopmentSigningKey))
            {
                options.TokenValidationParameters.ValidIssuer = DevelopmentTokens.Issuer;
                options.TokenValidationParameters.ValidAudience = DevelopmentTokens.Audience;
                options.TokenValidationParameters.IssuerSigningKey = DevelopmentTokens.Key(auth.DevelopmentSigningKey);
            }
            else
            {
                options.Authority = auth.Authority;
                options.Audience = auth.Audience;
            }
        });
        services.AddAuthorization(Access.AddPolicies);
    }

    /// <summary>The start-up checks: one clear message naming the setting, never a start that trusts the wrong tokens.</summary>
    public static void Check(AuthOptions auth, IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(auth);
        ArgumentNullException.ThrowIfNull(environment);
        if (!string.IsNullOrWhiteSpace(auth.DevelopmentSigningKey))
        {
            if (!environment.IsDevelopment())
            {
                throw new StartupRefusedException(
                    $"Auth:DevelopmentSigningKey is set in the {environment.EnvironmentName} environment. It is a development-only key " +
                    "that anyone with the source can sign tokens with: remove it and set Auth:Authority and Auth:Audience.");
            }

            try
            {
                DevelopmentTokens.Key(auth.DevelopmentSigningKey);
            }
            catch (InvalidOperationException badKey)
            {
                throw new StartupRefusedException(badKey.Message);
            }

            return;
        }

        if (string.IsNullOrWhiteSpace(auth.Authority) || string.IsNullOrWhiteSpace(auth.Audience))
        {
            throw new StartupRefusedException(
                "Set Auth:Authority (the identity provider's issuer URL) and Auth:Audience (the audience of the ledger's tokens); " +
                "in Development, Auth:DevelopmentSigningKey instead.");
        }

        if (!Uri.TryCreate(auth.Authority, UriKind.Absolute, out var authority) || authority.Scheme != Uri.UriSchemeHttps)
        {
            throw new StartupRefusedException($"Auth:Authority must be an absolute https URL; it is '{auth.Authority}'.");
        }
    }
}
