using System.Text.Json;
using Evaluator.Messages;
using Evaluator.Node.Kernel;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Core;

/// <summary>Every published peer case of Fixtures/oracle/peer_cases.json (see SOURCE.md beside it), through the kernel and the report.</summary>
public class OracleCasesTests
{
    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var c in Load().RootElement.GetProperty("cases").EnumerateArray())
            data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    private static JsonDocument Load() => JsonDocument.Parse(File.ReadAllText(RepoFiles.Fixture("oracle/peer_cases.json")));

    [Fact]
    public void The_oracle_file_has_cases()
    {
        Assert.True(Load().RootElement.GetProperty("cases").GetArrayLength() >= 4);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Peer_case_gives_the_expected_matrix_and_ious(string name)
    {
        using var doc = Load();
        var c = doc.RootElement.GetProperty("cases").EnumerateArray().Single(x => x.GetProperty("name").GetString() == name);
        var numClasses = c.GetProperty("num_classes").GetInt32();
        var ignore = c.GetProperty("ignore").EnumerateArray().Select(x => x.GetInt64()).ToArray();
        var gt = c.GetProperty("y_true").EnumerateArray().Select(x => x.GetInt64()).ToArray();
        var pred = c.GetProperty("y_pred").EnumerateArray().Select(x => x.GetInt64()).ToArray();
        var spec = new RunSpec(numClasses, ignoreLabels: ignore);

        // The same case through every input width the kernel takes.
        var matrices = new[]
        {
            Count(spec, gt.Select(v => (byte)v).ToArray(), pred.Select(v => (byte)v).ToArray()),
            Count(spec, gt.Select(v => (ushort)v).ToArray(), pred.Select(v => (ushort)v).ToArray()),
            Count(spec, gt.Select(v => (int)v).ToArray(), pred.Select(v => (int)v).ToArray()),
            Count(spec, gt, pred),
        };

        var expected = ConfusionMatrix.FromRows(c.GetProperty("expected_confusion_matrix").EnumerateArray()
            .Select(r => (IReadOnlyList<long>)r.EnumerateArray().Select(x => x.GetInt64()).ToList()).ToList());
        foreach (var m in matrices) Assert.Equal(expected, m);

        var report = MetricReport.Compute(spec, matrices[0], new PixelCounts(expected.Total, 0, 0));
        var expectedIous = c.GetProperty("expected_per_class_iou").EnumerateArray()
            .Select(x => x.ValueKind == JsonValueKind.Null ? (double?)null : x.GetDouble()).ToArray();
        Assert.Equal(expectedIous.Length, report.PerClass.Length);
        for (var k = 0; k < expectedIous.Length; k++)
        {
            // The peers' values are ratios of small integers; ours must be the same double.
            Assert.Equal(expectedIous[k], report.PerClass[k].Iou);
        }
        Assert.Equal(c.GetProperty("expected_mean_iou").GetDouble(), report.MeanIou);
    }

    private static ConfusionMatrix Count<T>(RunSpec spec, T[] gt, T[] pred) where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        var m = new ConfusionMatrix(spec.NumClasses);
        new ConfusionCounter(spec).Count<T, T>(gt, pred, m);
        return m;
    }
}
