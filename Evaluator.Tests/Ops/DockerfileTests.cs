using System.Text.RegularExpressions;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Ops;

/// <summary>
/// docker/Dockerfile, read as text: no Docker daemon runs where the tests run, so the image is
/// not built here. Its runtime stage runs as a non-root user, exposes the cluster and HTTP
/// ports, has a HEALTHCHECK on /readyz through a command the image holds (the evaluator), and
/// OCI labels; the build context leaves tests and build output out (.dockerignore).
/// </summary>
public sealed class DockerfileTests
{
    private static string RuntimeStage()
    {
        var text = File.ReadAllText(Path.Combine(RepoFiles.RepoRoot(), "docker", "Dockerfile"));
        return text[text.LastIndexOf("\nFROM ", StringComparison.Ordinal)..];
    }

    [Fact]
    public void The_runtime_stage_is_non_root_exposes_its_ports_and_checks_readiness_with_the_evaluator()
    {
        var stage = RuntimeStage();
        var user = Regex.Match(stage, @"^USER\s+(\S+)\s*$", RegexOptions.Multiline);
        Assert.True(user.Success, "no USER in the runtime stage");
        Assert.DoesNotMatch(@"^(root|0)(:.*)?$", user.Groups[1].Value);
        var expose = Regex.Match(stage, @"^EXPOSE\s+(.+)$", RegexOptions.Multiline);
        Assert.True(expose.Success, "no EXPOSE");
        Assert.Contains("4053", expose.Groups[1].Value);
        Assert.Contains("8080", expose.Groups[1].Value);
        var health = Regex.Match(stage, @"^HEALTHCHECK(?:[^\n]*\\\n)*[^\n]*", RegexOptions.Multiline);
        Assert.True(health.Success, "no HEALTHCHECK");
        // The aspnet image has no curl or wget: the check runs the evaluator's own `health` command.
        Assert.Matches(@"CMD \[""dotnet"", ""/app/evaluator.dll"", ""health""", health.Value);
        Assert.DoesNotMatch("curl|wget", health.Value);
        Assert.Contains("org.opencontainers.image.title", stage);
        Assert.Contains("org.opencontainers.image.description", stage);
        // USER comes after everything that needs root (the journal directory's chown).
        Assert.True(stage.IndexOf("chown", StringComparison.Ordinal) < user.Index);
    }

    [Fact]
    public void The_build_context_leaves_out_build_output_git_and_the_tests()
    {
        var ignore = File.ReadAllLines(Path.Combine(RepoFiles.RepoRoot(), ".dockerignore")).Select(l => l.Trim()).ToList();
        foreach (var entry in new[] { "**/bin/", "**/obj/", ".git/", "Evaluator.Tests/" }) Assert.Contains(entry, ignore);
    }

    [Fact]
    public void Health_reads_the_readyz_url_from_the_http_url()
    {
        Assert.Equal("http://localhost:8080/readyz", Evaluator.Node.Cli.HealthCommand.Default("http://0.0.0.0:8080"));
        Assert.Equal("http://127.0.0.1:9000/readyz", Evaluator.Node.Cli.HealthCommand.Default("http://127.0.0.1:9000"));
        Assert.Null(Evaluator.Node.Cli.HealthCommand.Default(""));
    }
}
