using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Net.Http.Headers;

namespace Ledger.Api.Infrastructure;

/// <summary>
/// Request bodies are JSON in UTF-8 and nothing else. The framework would also bind <c>application/*+json</c> and decode
/// other charsets; a ledger takes one form, so that what a teller sent is exactly what was read and stored. An endpoint
/// whose body is optional (a capture of the whole hold) may be called with no body at all, and then needs no content type.
/// </summary>
public static class JsonBodies
{
    public static IApplicationBuilder UseStrictJsonBodies(this IApplicationBuilder app) =>
        app.Use((http, next) =>
        {
            if (http.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>() is { ContentTypes.Count: > 0 } accepts && !IsUtf8Json(http.Request.ContentType) &&
                !(accepts.IsOptional && http.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false }))
            {
                throw new ProblemException(Problems.UnsupportedMediaType,
                    $"Send the body as application/json in UTF-8, not '{http.Request.ContentType}'.");
            }

            return next(http);
        });

    public static bool IsUtf8Json(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var mediaType) &&
        mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) &&
        (!mediaType.Charset.HasValue || mediaType.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));
}
