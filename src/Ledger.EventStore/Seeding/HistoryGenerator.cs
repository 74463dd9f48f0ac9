using Ledger.Domain.Accounts;
using Ledger.Domain.Money;

namespace Ledger.EventStore.Seeding;

/// <summary>What <see cref="HistoryGenerator"/> generates: how many accounts, how many transfer commands, from which seed.</summary>
public sealed record HistoryOptions(int Accounts, int Transfers, int Seed)
{
    /// <summary>Bounds that keep a typo from asking for hours of work or more memory than a laptop has.</summary>
    public const int AccountsMax = 1_000_000;

    public const int TransfersMax = 20_000_000;

    /// <summary>The first command's time. Fixed, so that a seed gives the same history on any day.</summary>
    public static DateTimeOffset Start { get; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Accounts, 1, nameof(Accounts));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Accounts, AccountsMax, nameof(Accounts));
        ArgumentOutOfRangeException.ThrowIfNegative(Transfers, nameof(Transfers));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Transfers, TransfersMax, nameof(Transfers));
    }
}

/// <summary>One event as it will be stored: its id, its stream and its version there, and the domain event.</summary>
public sealed record GeneratedEvent(Guid EventId, Guid StreamId, long Version, IAccountEvent Data);

/// <summary>One decided command: the events it produced (two for a transfer, one leg per account), or the domain's refusal.</summary>
public sealed record HistoryStep(object Command, IReadOnlyList<GeneratedEvent> Events, Rejection? Rejection);

/// <summary>
/// A realistic account history, decided by the domain itself (<see cref="AccountDecider"/>) so that every event obeys the
/// business rules; commands the domain refuses (mostly insufficient funds) are kept as refused steps, never recorded.
/// The history is a pure function of <see cref="HistoryOptions"/>: one <see cref="Random"/> seeded with
/// <see cref="HistoryOptions.Seed"/> drives every choice, ids are made from its bytes, time starts at a fixed instant and
/// only moves forward, and only integer arithmetic is used, so any machine gets the same events from the same seed.
/// </summary>
public sealed class HistoryGenerator
{
    /// <summary>One step in this many is a deposit or a withdrawal instead of a transfer.</summary>
    private const int CashStepEvery = 5;

    /// <summary>Time between two commands, in microseconds (PostgreSQL's resolution): 0.5 to 5.5 seconds.</summary>
    private const long StepMicrosecondsMin = 500_000;

    private const long StepMicrosecondsMax = 5_500_000;

    private static readonly string[] FirstNames =
    [
        "Ada", "Alan", "Amara", "Ana", "Arjun", "Bea", "Carlos", "Chen", "Chloe", "David", "Elena", "Emeka", "Fatima", "Grace",
        "Hana", "Hugo", "Ines", "Ivan", "Jamal", "Julia", "Kenji", "Lars", "Leila", "Lucas", "Maria", "Mei", "Noah", "Olga",
        "Omar", "Priya", "Rosa", "Sami", "Sofia", "Tariq", "Yuki", "Zoe",
    ];

    private static readonly string[] LastNames =
    [
        "Adeyemi", "Bauer", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Hopper", "Ito", "Jansen", "Kowalski", "Lovelace",
        "Martin", "Nakamura", "Novak", "Okafor", "Patel", "Quinn", "Rossi", "Schmidt", "Silva", "Tanaka", "Turing", "Urban",
        "Virtanen", "Wang", "Weber", "Yilmaz", "Zhang",
    ];

    private static readonly string[] TransferReferences =
        ["rent", "groceries", "dinner", "loan repayment", "gift", "utilities", "tickets", "car share", "holiday"];

    private readonly HistoryOptions _options;

    public HistoryGenerator(HistoryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <summary>
    /// The history, step by step: every account opened and funded, then <see cref="HistoryOptions.Transfers"/> transfer
    /// commands with deposits and withdrawals mixed in. Each enumeration starts again from the seed and yields the same steps.
    /// </summary>
    public IEnumerable<HistoryStep> Steps()
    {
        var run = new Run(_options);
        for (var i = 0; i < _options.Accounts; i++)
        {
            yield return run.Open();
            yield return run.Fund(i);
        }

        for (var transfers = 0; transfers < _options.Transfers;)
        {
            if (run.Random.Next(CashStepEvery) == 0)
            {
                yield return run.Cash();
            }
            else
            {
                yield return run.Transfer();
                transfers++;
            }
        }
    }

    /// <summary>A Guid (RFC 9562 version 4, random) made of the generator's own random bytes.</summary>
    private static Guid NewGuid(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>The state of one enumeration: the random source, the clock, and every account as the domain folded it.</summary>
    private sealed class Run(HistoryOptions options)
    {
        private readonly List<Account> _accounts = new(options.Accounts);
        private readonly Dictionary<string, List<int>> _byCurrency = new(StringComparer.Ordinal);
        private DateTimeOffset _now = HistoryOptions.Start;

        public Random Random { get; } = new(options.Seed);

        public HistoryStep Open()
        {
            var currency = PickCurrency();
            // One account in five may go overdrawn, by a limit a bank would grant.
            var overdraftLimitMinor = Random.Next(5) == 0 ? Scale(currency, Random.Next(1, 11) * 250) : 0;
            var owner = $"{FirstNames[Random.Next(FirstNames.Length)]} {LastNames[Random.Next(LastNames.Length)]}";
            var command = new OpenAccount(NewGuid(Random), owner, currency.Code, overdraftLimitMinor, Tick());
            var created = AccountDecider.Decide(command);
            var account = AccountDecider.Evolve(null, created);
            if (!_byCurrency.TryGetValue(account.Currency, out var members))
            {
                _byCurrency[account.Currency] = members = [];
            }

            members.Add(_accounts.Count);
            _accounts.Add(account);
            return new HistoryStep(command, [new GeneratedEvent(NewGuid(Random), account.AccountId, account.Version, created)], null);
        }

        public HistoryStep Fund(int index)
        {
            var account = _accounts[index];
            var amount = Amount(account.CurrencyUnit, [(100, 1_000, 60), (1_000, 20_000, 40)]);
            return Decide(new Deposit(account.AccountId, amount, "opening deposit", Tick()), index);
        }

        /// <summary>A salary-sized deposit or a cash-machine-sized withdrawal on a random account.</summary>
        public HistoryStep Cash()
        {
            var index = Random.Next(_accounts.Count);
            var currency = _accounts[index].CurrencyUnit;
            var id = _accounts[index].AccountId;
            return Random.Next(2) == 0
                ? Decide(new Deposit(id, Amount(currency, [(50, 500, 50), (500, 5_000, 50)]), Random.Next(3) == 0 ? "salary" : null, Tick()),
                    index)
                : Decide(new Withdraw(id, Amount(currency, [(10, 100, 50), (100, 800, 50)]), Random.Next(2) == 0 ? "cash machine" : null,
                    Tick()), index);
        }

        /// <summary>
        /// Between two random accounts of one currency, mostly everyday amounts; one in a hundred is far larger than most
        /// balances, so refusals (insufficient funds) are part of the history as they are in a real one.
        /// </summary>
        public HistoryStep Transfer()
        {
            var fromIndex = Random.Next(_accounts.Count);
            var from = _accounts[fromIndex];
            var toIndex = PickOther(_byCurrency[from.Currency], fromIndex);
            var to = _accounts[toIndex];
            var amount = Random.Next(100) == 0
                ? Amount(from.CurrencyUnit, [(5_000, 50_000, 100)])
                : Amount(from.CurrencyUnit, [(1, 10, 20), (10, 100, 45), (100, 1_000, 30), (1_000, 5_000, 5)]);
            var reference = Random.Next(4) switch
            {
                0 => null,
                1 => $"invoice {HistoryOptions.Start.Year}-{Random.Next(1, 100_000):D5}",
                _ => TransferReferences[Random.Next(TransferReferences.Length)],
            };
            var command = new Transfer(NewGuid(Random), from.AccountId, to.AccountId, amount, reference, Tick());
            MoneyTransferred transferred;
            try
            {
                transferred = AccountDecider.Decide(command, from, to);
            }
            catch (Rejection rejection)
            {
                return new HistoryStep(command, [], rejection);
            }

            // Both legs carry the same event, each in its own stream, as an append through the API stores a transfer.
            _accounts[fromIndex] = AccountDecider.Evolve(from, transferred);
            _accounts[toIndex] = AccountDecider.Evolve(to, transferred);
            return new HistoryStep(command,
            [
                new GeneratedEvent(NewGuid(Random), from.AccountId, _accounts[fromIndex].Version, transferred),
                new GeneratedEvent(NewGuid(Random), to.AccountId, _accounts[toIndex].Version, transferred),
            ], null);
        }

        private HistoryStep Decide(object command, int index)
        {
            var account = _accounts[index];
            IAccountEvent decided;
            try
            {
                decided = command switch
                {
                    Deposit deposit => AccountDecider.Decide(deposit, account),
                    Withdraw withdraw => AccountDecider.Decide(withdraw, account),
                    _ => throw new ArgumentOutOfRangeException(nameof(command), command.GetType().Name, "Not a cash command."),
                };
            }
            catch (Rejection rejection)
            {
                return new HistoryStep(command, [], rejection);
            }

            _accounts[index] = AccountDecider.Evolve(account, decided);
            return new HistoryStep(command, [new GeneratedEvent(NewGuid(Random), account.AccountId, _accounts[index].Version, decided)],
                null);
        }

        /// <summary>
        /// Another account of the same currency, uniformly; when the currency has one account only, that account itself,
        /// which the domain refuses (a transfer needs two accounts) like any other refused command.
        /// </summary>
        private int PickOther(List<int> members, int fromIndex)
        {
            if (members.Count == 1)
            {
                return fromIndex;
            }

            var picked = members[Random.Next(members.Count - 1)];
            return picked == fromIndex ? members[^1] : picked;
        }

        /// <summary>EUR 45 %, USD 30 %, GBP 15 %, JPY (no minor unit) 10 %.</summary>
        private Currency PickCurrency() => Random.Next(100) switch
        {
            < 45 => Currency.Find("EUR"),
            < 75 => Currency.Find("USD"),
            < 90 => Currency.Find("GBP"),
            _ => Currency.Find("JPY"),
        };

        /// <summary>
        /// An amount in minor units, drawn from one of the weighted ranges (in major units of EUR, USD or GBP; yen are
        /// scaled to comparable values). Uniform within a range and ranges a decade apart give the long tail real payments have.
        /// </summary>
        private long Amount(Currency currency, ReadOnlySpan<(int MinMajor, int MaxMajor, int Weight)> ranges)
        {
            var pick = Random.Next(100);
            foreach (var (minMajor, maxMajor, weight) in ranges)
            {
                if (pick < weight)
                {
                    return Random.NextInt64(Scale(currency, minMajor), Scale(currency, maxMajor) + 1);
                }

                pick -= weight;
            }

            throw new ArgumentException("The weights of the amount ranges must add up to 100.", nameof(ranges));
        }

        /// <summary>A whole amount of major units in minor units; a yen is worth far less than a euro, so 150 yen stand for one.</summary>
        private static long Scale(Currency currency, long major) =>
            currency.Exponent == 0 ? major * 150 : major * currency.MinorPerMajor;

        private DateTimeOffset Tick()
        {
            _now = _now.AddTicks(Random.NextInt64(StepMicrosecondsMin, StepMicrosecondsMax + 1) * TimeSpan.TicksPerMicrosecond);
            return _now;
        }
    }
}
