using Ledger.Api.Infrastructure;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Ledger.Api.Hosting;

public static class OpenApiSetup
{
    public static void Configure(SwaggerGenOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.SwaggerDoc("v1", new OpenApiInfo { Title = "Ledger API", Version = "v1", Description = "Teller commands and account reads." });
        // Slices nest their Command types (TransferEndpoint.Command): name schemas after the slice (TransferCommand).
        options.CustomSchemaIds(type => type.DeclaringType is { } slice
            ? slice.Name.Replace("Endpoint", "", StringComparison.Ordinal) + type.Name
            : type.Name);
        options.MapType<AmountInput>(() => new OpenApiSchema
        {
            Type = JsonSchemaType.Number | JsonSchemaType.String,
            Description = "A JSON number, or a string holding a plain decimal number such as \"12.34\" (no exponent, no separators).",
        });
    }
}
