using System.Text.Json.Serialization;
using FluentValidation;
using Ledger.Api.Infrastructure;
using Ledger.Api.Security;
using Ledger.EventStore.Audit;
using Mediator;

namespace Ledger.Api.Audit;

/// <summary>
/// <c>GET /accounts/{id}/integrity</c> and <c>GET /ledger/integrity?mode=</c>: hash chains recomputed from the stored events.
/// An account is always checked in full; the ledger in full (the default) or, with <c>mode=incremental</c>, from each
/// stream's sealed checkpoint on (docs/audit.md says what each proves).
/// </summary>
public static class VerifyIntegrityEndpoint
{
    private const string Full = "full";
    private const string Incremental = "incremental";

    public sealed record AccountIntegrity(
        Guid AccountId,
        bool Valid,
        long Events,
        string HeadHash,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? FirstInvalidVersion,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Problem,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? CheckpointVersion);

    /// <summary>
    /// <c>eventsVerified</c> counts the links recomputed; <c>streamsFromCheckpoint</c> the streams checked from a checkpoint;
    /// <c>checkpointsRejected</c> the checkpoints ignored because their seal did not verify; <c>checkpointing</c> whether
    /// this API has a key to seal checkpoints with (without one, every check is in full).
    /// </summary>
    public sealed record LedgerIntegrityView(
        bool Valid,
        long Streams,
        long Events,
        long BrokenStreams,
        IReadOnlyList<AccountIntegrity> Broken,
        string Mode,
        long EventsVerified,
        long StreamsFromCheckpoint,
        long CheckpointsRejected,
        bool Checkpointing);

    public sealed record AccountQuery(Guid AccountId) : IQuery<AccountIntegrity>;

    /// <summary><c>mode</c> as sent: <c>full</c> (the default) or <c>incremental</c>.</summary>
    public sealed record LedgerQuery(string? Mode) : IQuery<LedgerIntegrityView>;

    public sealed class Validator : QueryValidator<LedgerQuery>
    {
        public Validator() => RuleFor(query => query.Mode).Must(mode => mode is null or Full or Incremental)
            .WithMessage($"'mode' must be '{Full}' or '{Incremental}'.");
    }

    public sealed class Handler(IntegrityVerifier verifier) : IQueryHandler<AccountQuery, AccountIntegrity>, IQueryHandler<LedgerQuery, LedgerIntegrityView>
    {
        public async ValueTask<AccountIntegrity> Handle(AccountQuery query, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(query);
            var result = await verifier.VerifyAccountAsync(query.AccountId, cancellationToken)
                         ?? throw ProblemException.AccountNotFound(query.AccountId);
            return View(result);
        }

        public async ValueTask<LedgerIntegrityView> Handle(LedgerQuery query, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(query);
            var mode = query.Mode == Incremental ? IntegrityMode.Incremental : IntegrityMode.Full;
            var result = await verifier.VerifyLedgerAsync(mode, cancellationToken);
            return new LedgerIntegrityView(result.Valid, result.Streams, result.Events, result.BrokenStreams, result.Broken.Select(View).ToList(),
                mode == IntegrityMode.Incremental ? Incremental : Full, result.EventsVerified, result.StreamsFromCheckpoint,
                result.CheckpointsRejected, result.Checkpointing);
        }

        private static AccountIntegrity View(StreamIntegrity stream) =>
            new(stream.AccountId, stream.Valid, stream.Events, stream.HeadHash, stream.FirstInvalidVersion, stream.Problem, stream.CheckpointVersion);
    }

    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet("/accounts/{accountId}/integrity", async (Guid accountId, IMediator mediator, CancellationToken cancellationToken) =>
                TypedResults.Ok(await mediator.Send(new AccountQuery(accountId), cancellationToken)))
            .WithName("VerifyAccountIntegrity")
            .WithSummary("Recomputes the account's hash chain from its stored events.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        routes.MapGet("/ledger/integrity", async (string? mode, IMediator mediator, CancellationToken cancellationToken) =>
                TypedResults.Ok(await mediator.Send(new LedgerQuery(mode), cancellationToken)))
            .RequireRateLimiting(RateLimits.Expensive)
            .WithName("VerifyLedgerIntegrity")
            .WithSummary($"Walks every stream's hash chain, in full or (mode=incremental) after each stream's sealed checkpoint; " +
                         $"lists up to {IntegrityVerifier.BrokenListMax} broken streams.")
            .ProducesValidationProblem();
    }
}
