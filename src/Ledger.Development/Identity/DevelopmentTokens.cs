using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Ledger.Development.Identity;

/// <summary>
/// Bearer tokens signed with the development key (<c>Auth:DevelopmentSigningKey</c>, HMAC-SHA256). The API trusts them only
/// in Development, where no identity provider runs; <c>ledger token</c> and the tests mint them here. Production tokens
/// come from the configured authority (docs/security.md).
/// </summary>
public static class DevelopmentTokens
{
    public const string Issuer = "ledger-development";
    public const string Audience = "ledger-api";

    /// <summary>The claim that carries a role, as the API reads it.</summary>
    public const string RoleClaim = "role";

    /// <summary>The shortest key HMAC-SHA256 accepts: 256 bits.</summary>
    public const int KeyBytesMin = 32;

    /// <summary>The signing key from its configured base64 text; a clear error when it is not one.</summary>
    public static SymmetricSecurityKey Key(string base64)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            throw new InvalidOperationException("Auth:DevelopmentSigningKey must be base64 text.");
        }

        return bytes.Length >= KeyBytesMin
            ? new SymmetricSecurityKey(bytes)
            : throw new InvalidOperationException($"Auth:DevelopmentSigningKey must hold at least {KeyBytesMin} bytes (256 bits).");
    }

    /// <summary>A signed token for <paramref name="subject"/> acting in <paramref name="roles"/>, valid from now for <paramref name="lifetime"/>.</summary>
    public static string Mint(SymmetricSecurityKey key, string subject, IReadOnlyCollection<string> roles, TimeSpan lifetime, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrWhiteSpace(subject);
        ArgumentNullException.ThrowIfNull(roles);
        var claims = new List<Claim> { new(JwtRegisteredClaimNames.Sub, subject) };
        claims.AddRange(roles.Select(role => new Claim(RoleClaim, role)));
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            Subject = new ClaimsIdentity(claims),
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + lifetime).UtcDateTime,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        });
    }
}
