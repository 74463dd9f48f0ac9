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

/// <summary>
/// One decided command: the events it produced (two for a transfer or a hold captured to another account, one per account),
/// or the domain's refusal.
/// </summary>
public sealed record HistoryStep(object Command, IReadOnlyList<GeneratedEvent> Events, Rejection? Rejection);

/// <summary>
/// A realistic account history, decided by the domain itself (<see cref="AccountDecider"/>) so that every event obeys the
/// business rules; commands the domain refuses (mostly insufficient funds, some on frozen accounts or expired holds) are
/// kept as refused steps, never recorded. Besides deposits, withdrawals and transfers it freezes and unfreezes accounts,
/// places holds (some expiring, some awaiting approval) and resolves them (captured in full or in part, out of the ledger
/// or to another account; approved or rejected; released; released by the expiry process once their expiry has passed),
/// and closes a few accounts, settled first to a zero balance; nothing happens on an account after it is closed.
/// The history is a pure function of <see cref="HistoryOptions"/>: one <see cref="Random"/> seeded with
/// <see cref="HistoryOptions.Seed"/> drives every choice, ids are made from its bytes, time starts at a fixed instant and
/// only moves forward, and only integer arithmetic is used, so any machine gets the same events from the same seed.
/// </summary>
public sealed class HistoryGenerator
{
    /// <summary>
    /// What a step after the opening is, out of 1000: a deposit or a withdrawal (one in five, as before holds existed), a
    /// hold placed, an open hold resolved, a freeze, an unfreeze, a closing; the rest are transfers. A kind with nothing to
    /// act on (no open hold, no frozen or closable account) is a transfer instead.
    /// </summary>
    private const int CashSteps = 200;

    private const int PlaceHoldSteps = 60;
    private const int ResolveHoldSteps = 90;
    private const int FreezeSteps = 15;
    private const int UnfreezeSteps = 15;
    private const int CloseSteps = 5;

    /// <summary>Time between two commands, in microseconds (PostgreSQL's resolution): 0.5 to 5.5 seconds.</summary>
    private const long StepMicrosecondsMin = 500_000;

    private const long StepMicrosecondsMax = 5_500_000;

    /// <summary>An expiring hold lapses 30 seconds to 10 minutes after it is placed: some are resolved before, some expire.</summary>
    private const long HoldExpirySecondsMin = 30;

    private const long HoldExpirySecondsMax = 600;

    /// <summary>At most one account in this many is frozen at a time, and at most one in this many is ever closed.</summary>
    private const int FrozenShareMax = 20;

    private const int ClosedShareMax = 50;

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

    private static readonly string[] HoldReferences = ["hotel", "car rental", "fuel station", "card authorisation", "cheque clearance"];

    private static readonly string[] FreezeReasons = ["suspicious activity", "card reported lost", "identity check", "court order"];

    private static readonly string[] UnfreezeReasons = ["customer identified", "card replaced", "check passed", "order lifted"];

    private static readonly string[] CloseReasons = ["customer request", "moved abroad", "account consolidated"];

    private readonly HistoryOptions _options;

    public HistoryGenerator(HistoryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <summary>
    /// The history, step by step: every account opened and funded, then <see cref="HistoryOptions.Transfers"/> transfer
    /// commands with the other kinds mixed in. Each enumeration starts again from the seed and yields the same steps.
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
            var kind = run.Random.Next(1000);
            IEnumerable<HistoryStep>? steps = kind switch
            {
                < CashSteps => [run.Cash()],
                < CashSteps + PlaceHoldSteps => [run.PlaceHold()],
                < CashSteps + PlaceHoldSteps + ResolveHoldSteps => run.ResolveHold() is { } resolved ? [resolved] : null,
                < CashSteps + PlaceHoldSteps + ResolveHoldSteps + FreezeSteps => run.Freeze() is { } frozen ? [frozen] : null,
                < CashSteps + PlaceHoldSteps + ResolveHoldSteps + FreezeSteps + UnfreezeSteps => run.Unfreeze() is { } unfrozen ? [unfrozen] : null,
                < CashSteps + PlaceHoldSteps + ResolveHoldSteps + FreezeSteps + UnfreezeSteps + CloseSteps => run.Close(),
                _ => null,
            };
            if (steps is null)
            {
                yield return run.Transfer();
                transfers++;
                continue;
            }

            foreach (var step in steps)
            {
                yield return step;
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

    /// <summary>
    /// The state of one enumeration: the random source, the clock, every account as the domain folded it, the accounts not
    /// closed (per currency too), the frozen ones, and the open holds.
    /// </summary>
    private sealed class Run(HistoryOptions options)
    {
        private readonly List<Account> _accounts = new(options.Accounts);
        private readonly Dictionary<Guid, int> _indexOf = new(options.Accounts);
        private readonly IndexSet _live = new();
        private readonly Dictionary<string, IndexSet> _byCurrency = new(StringComparer.Ordinal);
        private readonly IndexSet _frozen = new();
        private readonly List<Guid> _openHolds = [];
        private readonly Dictionary<Guid, (Hold Hold, int Position)> _holds = [];
        private int _closed;
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
                _byCurrency[account.Currency] = members = new IndexSet();
            }

            members.Add(_accounts.Count);
            _live.Add(_accounts.Count);
            _indexOf[account.AccountId] = _accounts.Count;
            _accounts.Add(account);
            return new HistoryStep(command, [new GeneratedEvent(NewGuid(Random), account.AccountId, account.Version, created)], null);
        }

        public HistoryStep Fund(int index)
        {
            var account = _accounts[index];
            var amount = Amount(account.CurrencyUnit, [(100, 1_000, 60), (1_000, 20_000, 40)]);
            return Decide(new Deposit(account.AccountId, amount, "opening deposit", Tick()));
        }

        /// <summary>A salary-sized deposit or a cash-machine-sized withdrawal on a random account.</summary>
        public HistoryStep Cash()
        {
            var index = _live[Random.Next(_live.Count)];
            var currency = _accounts[index].CurrencyUnit;
            var id = _accounts[index].AccountId;
            return Random.Next(2) == 0
                ? Decide(new Deposit(id, Amount(currency, [(50, 500, 50), (500, 5_000, 50)]), Random.Next(3) == 0 ? "salary" : null, Tick()))
                : Decide(new Withdraw(id, Amount(currency, [(10, 100, 50), (100, 800, 50)]), Random.Next(2) == 0 ? "cash machine" : null,
                    Tick()));
        }

        /// <summary>
        /// Between two random accounts of one currency, mostly everyday amounts; one in a hundred is far larger than most
        /// balances, so refusals (insufficient funds) are part of the history as they are in a real one.
        /// </summary>
        public HistoryStep Transfer()
        {
            var fromIndex = _live[Random.Next(_live.Count)];
            var from = _accounts[fromIndex];
            var to = _accounts[PickOther(_byCurrency[from.Currency], fromIndex)];
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
            return Decide(command, () => AccountDecider.Decide(command, from, to));
        }

        /// <summary>
        /// A hold on a random account: mostly a plain one (a card authorisation, a cheque; three in five lapse at an expiry
        /// some minutes ahead), else a withdrawal or a transfer awaiting a supervisor's approval, requested by a teller.
        /// </summary>
        public HistoryStep PlaceHold()
        {
            var index = _live[Random.Next(_live.Count)];
            var account = _accounts[index];
            var amount = Amount(account.CurrencyUnit, [(5, 50, 40), (50, 500, 50), (500, 3_000, 10)]);
            var now = Tick();
            var purpose = Random.Next(20) switch
            {
                < 15 => HoldPurpose.Hold,
                < 18 => HoldPurpose.WithdrawalApproval,
                _ => HoldPurpose.TransferApproval,
            };
            var toIndex = purpose == HoldPurpose.TransferApproval ? PickOther(_byCurrency[account.Currency], index) : index;
            if (toIndex == index && purpose == HoldPurpose.TransferApproval)
            {
                // The only account of its currency cannot transfer to another: it asks for a withdrawal instead.
                purpose = HoldPurpose.WithdrawalApproval;
            }

            var expiresAt = purpose == HoldPurpose.Hold && Random.Next(5) < 3
                ? now.AddTicks(Random.NextInt64(HoldExpirySecondsMin, HoldExpirySecondsMax + 1) * TimeSpan.TicksPerSecond)
                : (DateTimeOffset?)null;
            var command = new PlaceHold(NewGuid(Random), account.AccountId, amount, purpose == HoldPurpose.Hold
                    ? HoldReferences[Random.Next(HoldReferences.Length)]
                    : null, expiresAt, now, purpose, purpose == HoldPurpose.TransferApproval ? _accounts[toIndex].AccountId : null,
                purpose == HoldPurpose.Hold ? null : $"teller-{Random.Next(1, 21)}");
            return Decide(command, () => AccountDecider.Decide(command, account));
        }

        /// <summary>
        /// A random open hold comes to its end: released by the expiry process once its expiry has passed; a movement
        /// awaiting approval approved (four in five) or rejected by a supervisor; a plain hold captured (in full or in part,
        /// out of the ledger or to another account) or released. Null when no hold is open.
        /// </summary>
        public HistoryStep? ResolveHold()
        {
            if (_openHolds.Count == 0)
            {
                return null;
            }

            var hold = _holds[_openHolds[Random.Next(_openHolds.Count)]].Hold;
            var from = _accounts[_indexOf[hold.AccountId]];
            var now = Tick();
            if (hold.ExpiresAt is { } expiresAt && expiresAt < now)
            {
                var expiry = new ReleaseHold(hold.HoldId, ReleaseReasons.Expired, now);
                return Decide(expiry, () => AccountDecider.Decide(expiry, hold, from));
            }

            var supervisor = $"supervisor-{Random.Next(1, 6)}";
            if (hold.AwaitsApproval)
            {
                if (Random.Next(5) == 0)
                {
                    var rejection = new ReleaseHold(hold.HoldId, ReleaseReasons.Rejected, now, supervisor);
                    return Decide(rejection, () => AccountDecider.Decide(rejection, hold, from));
                }

                var approval = new ApproveHold(hold.HoldId, supervisor, now);
                var payee = hold.ToAccountId is { } toAccountId ? _accounts[_indexOf[toAccountId]] : null;
                return Decide(approval, () => AccountDecider.Decide(approval, hold, from, payee));
            }

            if (Random.Next(7) == 0)
            {
                var release = new ReleaseHold(hold.HoldId, ReleaseReasons.Released, now);
                return Decide(release, () => AccountDecider.Decide(release, hold, from));
            }

            var amountMinor = Random.Next(5) < 2 && hold.AmountMinor > 1 ? Random.NextInt64(1, hold.AmountMinor) : (long?)null;
            var fromIndex = _indexOf[hold.AccountId];
            var toIndex = Random.Next(10) < 3 ? PickOther(_byCurrency[from.Currency], fromIndex) : fromIndex;
            var to = toIndex == fromIndex ? null : _accounts[toIndex];
            var capture = new CaptureHold(hold.HoldId, amountMinor, to?.AccountId, null, now);
            return Decide(capture, () => AccountDecider.Decide(capture, hold, from, to));
        }

        /// <summary>An open account frozen, one freeze in three at a fraud alert's request; null when enough are frozen already.</summary>
        public HistoryStep? Freeze()
        {
            if (_frozen.Count >= Math.Max(1, _live.Count / FrozenShareMax))
            {
                return null;
            }

            var account = _accounts[_live[Random.Next(_live.Count)]];
            var command = new FreezeAccount(account.AccountId, FreezeReasons[Random.Next(FreezeReasons.Length)],
                Random.Next(3) == 0 ? NewGuid(Random) : null, Tick());
            return Decide(command, () => AccountDecider.Decide(command, account));
        }

        public HistoryStep? Unfreeze()
        {
            if (_frozen.Count == 0)
            {
                return null;
            }

            var account = _accounts[_frozen[Random.Next(_frozen.Count)]];
            var command = new UnfreezeAccount(account.AccountId, UnfreezeReasons[Random.Next(UnfreezeReasons.Length)], Tick());
            return Decide(command, () => AccountDecider.Decide(command, account));
        }

        /// <summary>
        /// An open account without open holds, settled to a zero balance (what is left withdrawn, an overdraft paid in) and
        /// closed. Null when enough are closed already, or the account is its currency's last two (transfers need a pair).
        /// </summary>
        public List<HistoryStep>? Close()
        {
            var index = _live[Random.Next(_live.Count)];
            var account = _accounts[index];
            if (_closed >= Math.Max(1, options.Accounts / ClosedShareMax) || _byCurrency[account.Currency].Count <= 2
                || account.Status != AccountStatus.Open || account.HoldsOpen != 0)
            {
                return null;
            }

            var steps = new List<HistoryStep>(2);
            if (account.BalanceMinor != 0)
            {
                var settle = account.BalanceMinor > 0
                    ? Decide(new Withdraw(account.AccountId, account.BalanceMinor, "closing balance", Tick()))
                    : Decide(new Deposit(account.AccountId, -account.BalanceMinor, "overdraft repaid", Tick()));
                steps.Add(settle);
                if (settle.Rejection is not null)
                {
                    return steps;
                }
            }

            var settled = _accounts[index];
            var command = new CloseAccount(settled.AccountId, CloseReasons[Random.Next(CloseReasons.Length)], Tick());
            steps.Add(Decide(command, () => AccountDecider.Decide(command, settled)));
            return steps;
        }

        private HistoryStep Decide(object command) => command switch
        {
            Deposit deposit => Decide(deposit, () => AccountDecider.Decide(deposit, _accounts[_indexOf[deposit.AccountId]])),
            Withdraw withdraw => Decide(withdraw, () => AccountDecider.Decide(withdraw, _accounts[_indexOf[withdraw.AccountId]])),
            _ => throw new ArgumentOutOfRangeException(nameof(command), command.GetType().Name, "Not a cash command."),
        };

        /// <summary>
        /// Decides, and applies what was decided: each account the event belongs to evolves (a transfer's or a capture's
        /// source first, then its destination, each leg with an id of its own), the hold it names too, and the sets follow.
        /// </summary>
        private HistoryStep Decide(object command, Func<IAccountEvent> decide)
        {
            IAccountEvent decided;
            try
            {
                decided = decide();
            }
            catch (Rejection rejection)
            {
                return new HistoryStep(command, [], rejection);
            }

            var events = new List<GeneratedEvent>(2);
            foreach (var accountId in AccountsOf(decided))
            {
                var index = _indexOf[accountId];
                _accounts[index] = AccountDecider.Evolve(_accounts[index], decided);
                events.Add(new GeneratedEvent(NewGuid(Random), accountId, _accounts[index].Version, decided));
                Track(index);
            }

            TrackHold(decided);
            return new HistoryStep(command, events, null);
        }

        /// <summary>The streams an event is stored in: its account's, or both sides' for a transfer or a capture to another account.</summary>
        private static IEnumerable<Guid> AccountsOf(IAccountEvent e) => e switch
        {
            MoneyTransferred transfer => [transfer.FromAccountId, transfer.ToAccountId],
            HoldCaptured { ToAccountId: { } to } captured => [captured.AccountId, to],
            MoneyDeposited deposited => [deposited.AccountId],
            MoneyWithdrawn withdrawn => [withdrawn.AccountId],
            AccountFrozen frozen => [frozen.AccountId],
            AccountUnfrozen unfrozen => [unfrozen.AccountId],
            AccountClosed closed => [closed.AccountId],
            HoldPlaced placed => [placed.AccountId],
            HoldCaptured captured => [captured.AccountId],
            HoldReleased released => [released.AccountId],
            _ => throw new ArgumentOutOfRangeException(nameof(e), e.GetType().Name, "Not an event the history generates after the opening."),
        };

        /// <summary>Keeps the sets in step with an account's status: frozen ones in <see cref="_frozen"/>, closed ones out of every set.</summary>
        private void Track(int index)
        {
            switch (_accounts[index].Status)
            {
                case AccountStatus.Frozen:
                    _frozen.Add(index);
                    break;
                case AccountStatus.Open:
                    _frozen.Remove(index);
                    break;
                case AccountStatus.Closed:
                    _frozen.Remove(index);
                    _live.Remove(index);
                    _byCurrency[_accounts[index].Currency].Remove(index);
                    _closed++;
                    break;
            }
        }

        private void TrackHold(IAccountEvent e)
        {
            switch (e)
            {
                case HoldPlaced placed:
                    _holds[placed.HoldId] = (AccountDecider.EvolveHold(null, placed), _openHolds.Count);
                    _openHolds.Add(placed.HoldId);
                    break;
                case HoldCaptured or HoldReleased:
                    var holdId = e is HoldCaptured captured ? captured.HoldId : ((HoldReleased)e).HoldId;
                    var position = _holds[holdId].Position;
                    var last = _openHolds[^1];
                    _openHolds[position] = last;
                    _holds[last] = (_holds[last].Hold, position);
                    _openHolds.RemoveAt(_openHolds.Count - 1);
                    _holds.Remove(holdId);
                    break;
            }
        }

        /// <summary>
        /// Another account of the same currency, uniformly; when the currency has one account only, that account itself,
        /// which the domain refuses (a transfer needs two accounts) like any other refused command.
        /// </summary>
        private int PickOther(IndexSet members, int fromIndex)
        {
            if (members.Count == 1)
            {
                return fromIndex;
            }

            var picked = members[Random.Next(members.Count - 1)];
            return picked == fromIndex ? members[members.Count - 1] : picked;
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

    /// <summary>
    /// Account indexes picked uniformly: adds and removes in constant time (a removal moves the last member into the gap),
    /// so closing accounts in a history of a million stays cheap. The order depends only on the calls, so it is deterministic.
    /// </summary>
    private sealed class IndexSet
    {
        private readonly List<int> _members = [];
        private readonly Dictionary<int, int> _positions = [];

        public int Count => _members.Count;

        public int this[int position] => _members[position];

        public void Add(int index)
        {
            if (_positions.TryAdd(index, _members.Count))
            {
                _members.Add(index);
            }
        }

        public void Remove(int index)
        {
            if (!_positions.Remove(index, out var position))
            {
                return;
            }

            var last = _members[^1];
            _members.RemoveAt(_members.Count - 1);
            if (last != index)
            {
                _members[position] = last;
                _positions[last] = position;
            }
        }
    }
}
