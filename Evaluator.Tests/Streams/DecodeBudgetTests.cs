using Akka.Streams;
using Akka.Streams.TestKit;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Streams;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Streams;

/// <summary>The decode memory budget: waiting, giving back, refusing, and a partition stream under it.</summary>
public sealed class DecodeBudgetTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly IMaterializer _mat;

    public DecodeBudgetTests() : base(TestConfigs.Local()) => _mat = Sys.Materializer();

    [Fact]
    public async Task A_reservation_waits_while_the_budget_is_used_and_goes_on_when_it_is_given_back()
    {
        var budget = new DecodeBudget(100);
        using var a = budget.Open();
        using var b = budget.Open();
        var first = await a.ReserveAsync(60);
        var second = b.ReserveAsync(60);
        var third = b.ReserveAsync(10); // first come, first served: behind the second although it would fit
        await Task.Delay(TimeSpan.FromMilliseconds(100)); // a negative check (like ExpectNoMsg): neither may complete
        Assert.False(second.IsCompleted);
        Assert.False(third.IsCompleted);
        Assert.Equal(60, budget.InUse);
        first.Dispose();
        (await second.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
        (await third.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
        Assert.Equal(0, budget.InUse);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.ReserveAsync(101));
    }

    [Fact]
    public async Task Closing_a_session_gives_back_what_it_holds_and_drops_its_waits()
    {
        var budget = new DecodeBudget(100);
        var stopped = budget.Open();
        using var other = budget.Open();
        var held = await stopped.ReserveAsync(80);
        var dropped = stopped.ReserveAsync(50);
        var waiting = other.ReserveAsync(90);
        stopped.Dispose();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dropped);
        (await waiting.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
        held.Dispose(); // after the close: no double give-back
        Assert.Equal(0, budget.InUse);
    }

    private static StartPartition Start(Dataset ds)
    {
        var pairs = Directory.GetFiles(ds.GroundTruthDir, "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(g => new FilePair(g, g.Replace(ds.GroundTruthDir, ds.PredictionDir))).ToArray();
        var spec = new RunSpec(5, ignoreLabels: [255]);
        return new StartPartition("r", 0, spec, new PartitionAssignment(0, [.. pairs], 1 << 20, null),
            PartitionPartial.Empty("r", 0, 5), false);
    }

    [Fact]
    public void A_stream_under_a_small_budget_decodes_every_pair_and_gives_everything_back()
    {
        var ds = new Dataset(TestEnvironment.TempDir("budget-stream"), Dataset.Format.PngGray8, 12, 16, 16, 5, seed: 4);
        // A 16×16 8-bit pair needs about 2 × (file + 272 filtered + 256 labels) bytes: two fit, not three.
        var budget = new DecodeBudget(3000);
        var probe = PartitionSource.Create(Start(ds), TestConfigs.Settings() with { DecodeParallelism = 4 }, null, budget)
            .RunWith(this.SinkProbe<Batch>(), _mat);
        probe.Request(100);
        var batches = probe.ExpectNextN(12).ToList();
        probe.ExpectComplete();
        Assert.True(batches.All(b => b.Bad is null), string.Join("\n", batches.Select(b => b.Bad?.Error)));
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (long)i), batches.Select(b => b.Seq));
        AwaitCondition(() => budget.InUse == 0, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void A_pair_larger_than_the_whole_budget_is_a_bad_pair_naming_the_file_and_the_limit()
    {
        var ds = new Dataset(TestEnvironment.TempDir("budget-refuse"), Dataset.Format.PngGray8, 1, 64, 48, 5, seed: 5);
        var budget = new DecodeBudget(4000);
        var probe = PartitionSource.Create(Start(ds), TestConfigs.Settings(), null, budget).RunWith(this.SinkProbe<Batch>(), _mat);
        probe.Request(10);
        var marker = probe.ExpectNext();
        probe.ExpectComplete();
        Assert.NotNull(marker.Bad);
        Assert.Contains("more than the decode memory budget of 4,000 bytes", marker.Bad!.Error);
        Assert.EndsWith(".png", marker.Bad.GroundTruth);
        Assert.Equal(0, budget.InUse);
    }
}
