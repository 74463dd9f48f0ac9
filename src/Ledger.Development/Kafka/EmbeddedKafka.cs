using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ledger.Development.Kafka;

/// <summary>
/// An in-process Kafka for development and tests: librdkafka's built-in mock cluster, reachable on 127.0.0.1 by any
/// client in this process or another one (kcat included).
/// </summary>
/// <remarks>
/// There is no Kafka broker package for our machines and no container engine, but the librdkafka that Confluent.Kafka
/// ships contains a mock cluster that speaks the wire protocol. Setting <c>test.mock.num.brokers</c> on a client makes
/// that client create and own one; the cluster lives exactly as long as the client, so this class keeps the client
/// and disposes it last. The <c>rd_kafka_mock_*</c> functions that create topics, stop brokers and inject errors are
/// not wrapped by Confluent.Kafka, so they are called directly (see <see cref="Native"/>).
/// Unlike a real broker, consumer groups form at once: the first member does not wait 3 s for others to join.
/// Mock limits (see FACTS.md): <c>read_committed</c> consumers still see aborted transactional messages, and a broker
/// that delays replies past <c>socket.timeout.ms</c> can duplicate messages despite idempotence.
/// Retention: each partition keeps at most <see cref="PartitionLogBytesMax"/> bytes and
/// <see cref="PartitionLogMessageSetsMax"/> message sets (librdkafka's fixed defaults, with no call or setting to change
/// them); appending beyond that drops the oldest message sets, so a consumer that falls further behind finds its offset
/// below the log start, as with a real cluster's retention (ADR-010). More partitions give a proportionally larger window.
/// </remarks>
public sealed partial class EmbeddedKafka : IDisposable
{
    /// <summary>Each broker is a thread and a listening socket; no development or test scenario needs more.</summary>
    public const int BrokersMax = 16;

    /// <summary>Bytes a mock partition keeps before dropping its oldest message sets (<c>max_size</c> in rdkafka_mock.c).</summary>
    public const long PartitionLogBytesMax = 5 * 1024 * 1024;

    /// <summary>Message sets (producer batches, not messages) a mock partition keeps (<c>max_cnt</c> in rdkafka_mock.c).</summary>
    public const int PartitionLogMessageSetsMax = 100_000;

    private readonly IAdminClient _owner;
    private readonly IntPtr _cluster;
    private readonly int _brokers;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private bool _disposed;

    private EmbeddedKafka(IAdminClient owner, IntPtr cluster, int brokers, string bootstrapServers, ILogger logger)
    {
        _owner = owner;
        _cluster = cluster;
        _brokers = brokers;
        _logger = logger;
        BootstrapServers = bootstrapServers;
    }

    /// <summary>Comma-separated <c>127.0.0.1:port</c> addresses of the mock brokers, ids 1 to N in order.</summary>
    public string BootstrapServers { get; }

    /// <summary>Creates a cluster of <paramref name="brokers"/> brokers (ids 1..N) on ephemeral loopback ports.</summary>
    public static EmbeddedKafka Start(int brokers = 1, ILogger? logger = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokers, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(brokers, BrokersMax);
        logger ??= NullLogger.Instance;

        var config = new Dictionary<string, string>
        {
            ["test.mock.num.brokers"] = brokers.ToString(CultureInfo.InvariantCulture),
            // Ignored by the mock (it substitutes its own brokers) but named so nobody wonders where the client points.
            ["bootstrap.servers"] = "mock",
            ["client.id"] = "ledger-embedded-kafka",
        };
        var owner = new AdminClientBuilder(config)
            // Without a handler Confluent.Kafka prints librdkafka's log to stdout, which `ledger kafka serve`
            // reserves for its bootstrap line.
            .SetLogHandler((_, message) => logger.Log(ToLogLevel(message.Level), "librdkafka {Facility}: {Message}",
                message.Facility, message.Message))
            .SetErrorHandler((_, error) => logger.LogDebug("Owning client: {Reason} ({Code})", error.Reason, error.Code))
            .Build();
        try
        {
            var cluster = Native.MockClusterOf(owner.Handle);
            // A consumer group's first member would otherwise wait 3 s (Kafka's group.initial.rebalance.delay.ms) for
            // companions that, on a development machine or in a test, are not coming.
            Native.rd_kafka_mock_group_initial_rebalance_delay_ms(cluster, 0);
            var bootstrapServers = Marshal.PtrToStringUTF8(Native.rd_kafka_mock_cluster_bootstraps(cluster))
                ?? throw new InvalidOperationException("The mock cluster reported no bootstrap servers.");
            logger.LogInformation("Embedded Kafka with {Brokers} broker(s) listening on {BootstrapServers}",
                brokers, bootstrapServers);
            return new EmbeddedKafka(owner, cluster, brokers, bootstrapServers, logger);
        }
        catch
        {
            owner.Dispose();
            throw;
        }
    }

    /// <summary>Creates a topic directly in the mock cluster, without the admin protocol round trip.</summary>
    public void CreateTopic(string topic, int partitions, int replicationFactor = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicationFactor, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(replicationFactor, _brokers);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ThrowOnError(Native.rd_kafka_mock_topic_create(_cluster, topic, partitions, replicationFactor),
                $"create topic {topic}");
        }
        _logger.LogInformation("Created topic {Topic} ({Partitions} partitions, replication factor {ReplicationFactor})",
            topic, partitions, replicationFactor);
    }

    /// <summary>
    /// Deletes a partition's records before <paramref name="beforeOffset"/> and moves its log start there, as retention
    /// does on a real cluster: consumers positioned below it get OffsetOutOfRange.
    /// </summary>
    public void DeleteRecords(string topic, int partition, long beforeOffset)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        ArgumentOutOfRangeException.ThrowIfNegative(beforeOffset);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ThrowOnError(Native.rd_kafka_mock_partition_delete_records(_cluster, topic, partition, beforeOffset),
                $"delete records of {topic} [{partition}] before offset {beforeOffset}");
        }
        _logger.LogInformation("Deleted records of {Topic} [{Partition}] before offset {Offset}", topic, partition, beforeOffset);
    }

    /// <summary>Disconnects the broker and refuses new connections; partition leadership does not move.</summary>
    public void BrokerDown(int brokerId)
    {
        ThrowIfUnknownBroker(brokerId);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ThrowOnError(Native.rd_kafka_mock_broker_set_down(_cluster, brokerId), $"take broker {brokerId} down");
        }
        _logger.LogInformation("Broker {BrokerId} is down", brokerId);
    }

    /// <summary>Accepts connections to the broker again.</summary>
    public void BrokerUp(int brokerId)
    {
        ThrowIfUnknownBroker(brokerId);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ThrowOnError(Native.rd_kafka_mock_broker_set_up(_cluster, brokerId), $"bring broker {brokerId} up");
        }
        _logger.LogInformation("Broker {BrokerId} is up", brokerId);
    }

    /// <summary>
    /// Makes the next <paramref name="errors"/>.Length requests of Kafka API <paramref name="apiKey"/> (0 = Produce,
    /// 1 = Fetch, 8 = OffsetCommit, ...) to any broker fail with these errors, one each, in order.
    /// </summary>
    public void PushRequestErrors(short apiKey, params ErrorCode[] errors)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(apiKey);
        ArgumentNullException.ThrowIfNull(errors);
        if (errors.Length == 0)
        {
            return;
        }
        var codes = Array.ConvertAll(errors, error => (int)error);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Native.rd_kafka_mock_push_request_errors_array(_cluster, apiKey, (nuint)codes.Length, codes);
        }
        _logger.LogInformation("Next {Count} request(s) of API {ApiKey} will fail: {Errors}",
            errors.Length, apiKey, string.Join(", ", errors));
    }

    /// <summary>
    /// Raises a fatal error in a client of this process, as librdkafka does when an idempotent producer can no longer
    /// guarantee order or uniqueness: from then on the client fails every request with <see cref="ErrorCode.Local_Fatal"/>
    /// and must be replaced. For testing what an application does about it; works on any client, not only this cluster's.
    /// </summary>
    public static void RaiseFatalError(Handle client, ErrorCode error, string reason)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        ThrowOnError(Native.WithRawHandle(client, rk => Native.rd_kafka_test_fatal_error(rk, (int)error, reason)),
            $"raise fatal error {error}");
    }

    /// <summary>Destroys the cluster: its brokers close their connections and ports.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
        }
        _owner.Dispose();
        _logger.LogInformation("Embedded Kafka stopped");
    }

    private void ThrowIfUnknownBroker(int brokerId)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokerId, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(brokerId, _brokers);
    }

    private static void ThrowOnError(int code, string what)
    {
        var error = (ErrorCode)code;
        if (error != ErrorCode.NoError)
        {
            throw new KafkaException(new Error(error, $"Mock cluster could not {what}: {error}"));
        }
    }

    // librdkafka logs with syslog levels.
    private static LogLevel ToLogLevel(SyslogLevel level) => level switch
    {
        <= SyslogLevel.Critical => LogLevel.Critical,
        SyslogLevel.Error => LogLevel.Error,
        SyslogLevel.Warning => LogLevel.Warning,
        SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
        _ => LogLevel.Debug,
    };

    /// <summary>
    /// The slice of librdkafka's C API (rdkafka_mock.h) that Confluent.Kafka does not wrap.
    /// </summary>
    /// <remarks>
    /// These functions must run in the very copy of librdkafka that Confluent.Kafka loaded: the cluster pointer and
    /// the <c>rd_kafka_t*</c> it comes from are addresses inside that copy's heap and threads. The name alone does not
    /// guarantee that. On Linux Confluent.Kafka tries its bundled builds in turn (<c>librdkafka.so</c>, then
    /// <c>centos8-librdkafka.so</c>, ...) and keeps the first that loads; on our machines the first one needs
    /// <c>libsasl2.so.3</c>, which is absent, so the centos8 build is the one in use. A plain <c>[LibraryImport]</c>
    /// of "librdkafka" would either fail the same way or, where some system librdkafka exists, load a second,
    /// unrelated copy and hand it a foreign pointer. So the assembly's import resolver answers "librdkafka" with the
    /// module already mapped into the process, found in <c>/proc/self/maps</c>; <see cref="NativeLibrary.Load(string)"/>
    /// of that exact path returns the existing module instead of mapping a new one.
    /// </remarks>
    private static partial class Native
    {
        private const string Librdkafka = "librdkafka";

        private static readonly Lazy<IntPtr> _loadedLibrdkafka = new(FindLoadedLibrdkafka);

        // An explicit static constructor runs before the first call to any import below, so the resolver is in place
        // before the runtime binds them. An assembly has one resolver; it lets every other library name fall through.
        static Native()
        {
            NativeLibrary.SetDllImportResolver(typeof(Native).Assembly, Resolve);
        }

        [LibraryImport(Librdkafka)]
        internal static partial IntPtr rd_kafka_handle_mock_cluster(IntPtr rk);

        // Returns a string owned by the cluster, so it is read, never freed: hence IntPtr rather than string.
        [LibraryImport(Librdkafka)]
        internal static partial IntPtr rd_kafka_mock_cluster_bootstraps(IntPtr cluster);

        [LibraryImport(Librdkafka, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int rd_kafka_mock_topic_create(IntPtr cluster, string topic, int partitions,
            int replicationFactor);

        [LibraryImport(Librdkafka, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int rd_kafka_mock_partition_delete_records(IntPtr cluster, string topic, int partition,
            long beforeOffset);

        [LibraryImport(Librdkafka)]
        internal static partial int rd_kafka_mock_broker_set_down(IntPtr cluster, int brokerId);

        [LibraryImport(Librdkafka)]
        internal static partial int rd_kafka_mock_broker_set_up(IntPtr cluster, int brokerId);

        [LibraryImport(Librdkafka)]
        internal static partial void rd_kafka_mock_group_initial_rebalance_delay_ms(IntPtr cluster, int delayMs);

        // The _array variant: the other one is variadic, which P/Invoke cannot call portably.
        [LibraryImport(Librdkafka)]
        internal static partial void rd_kafka_mock_push_request_errors_array(IntPtr cluster, short apiKey, nuint count,
            int[] errors);

        [LibraryImport(Librdkafka, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int rd_kafka_test_fatal_error(IntPtr rk, int error, string reason);

        /// <summary>The mock cluster owned by a client created with <c>test.mock.num.brokers</c>.</summary>
        internal static IntPtr MockClusterOf(Handle handle)
        {
            // Held only for this call: afterwards EmbeddedKafka itself keeps the client, and so rk, alive.
            var cluster = WithRawHandle(handle, rd_kafka_handle_mock_cluster);
            return cluster != IntPtr.Zero
                ? cluster
                : throw new InvalidOperationException("The client has no mock cluster (test.mock.num.brokers unset?).");
        }

        /// <summary>Calls <paramref name="call"/> with the client's <c>rd_kafka_t*</c>, kept alive for the call.</summary>
        internal static T WithRawHandle<T>(Handle handle, Func<IntPtr, T> call)
        {
            // Confluent.Kafka keeps the rd_kafka_t* in an internal SafeHandle and offers no public accessor; the
            // property has had this name since 1.0. Failing loudly here beats guessing.
            var property = typeof(Handle).GetProperty("LibrdkafkaHandle", BindingFlags.Instance | BindingFlags.NonPublic)
                ?? throw new InvalidOperationException("Confluent.Kafka.Handle has no LibrdkafkaHandle property any more.");
            var safeHandle = property.GetValue(handle) as SafeHandle
                ?? throw new InvalidOperationException("Confluent.Kafka.Handle.LibrdkafkaHandle is not a SafeHandle.");

            var added = false;
            try
            {
                safeHandle.DangerousAddRef(ref added);
                return call(safeHandle.DangerousGetHandle());
            }
            finally
            {
                if (added)
                {
                    safeHandle.DangerousRelease();
                }
            }
        }

        private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
            libraryName == Librdkafka ? _loadedLibrdkafka.Value : IntPtr.Zero;

        private static IntPtr FindLoadedLibrdkafka()
        {
            if (!OperatingSystem.IsLinux())
            {
                // Windows and macOS packages carry a single build, found the way Confluent.Kafka finds it.
                return NativeLibrary.Load(Librdkafka, typeof(Handle).Assembly, null);
            }

            var paths = File.ReadLines("/proc/self/maps")
                .Select(line => line.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0 ? line[slash..] : "")
                .Where(path => Path.GetFileName(path).Contains(Librdkafka, StringComparison.Ordinal))
                .Distinct(StringComparer.Ordinal)
                .ToList();
            return paths.Count switch
            {
                1 => NativeLibrary.Load(paths[0]),
                0 => throw new InvalidOperationException(
                    "librdkafka is not loaded yet: create a Confluent.Kafka client before calling the mock API."),
                _ => throw new InvalidOperationException(
                    $"Several librdkafka copies are loaded ({string.Join(", ", paths)}); cannot tell which one owns the cluster."),
            };
        }
    }
}
