using Evaluator.Node.Runtime;

namespace Evaluator.Tests.Runtime;

/// <summary>Where multi-core JIT keeps its profiles, and its switch (EVALUATOR_JIT_PROFILE, off by default).</summary>
public sealed class StartupJitProfileTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] vars) =>
        name => vars.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void On_uses_the_cache_directory_of_XDG_CACHE_HOME_then_HOME()
    {
        const string on = StartupJitProfile.Variable;
        Assert.Equal(Path.Combine("/c", "evaluator", "jit"), StartupJitProfile.Directory(Env((on, "on"), ("XDG_CACHE_HOME", "/c"), ("HOME", "/h"))));
        Assert.Equal(Path.Combine("/h", ".cache", "evaluator", "jit"), StartupJitProfile.Directory(Env((on, "ON"), ("HOME", "/h"))));
        Assert.Null(StartupJitProfile.Directory(Env((on, "on"))));
    }

    [Fact]
    public void Off_by_default() => Assert.Null(StartupJitProfile.Directory(Env(("XDG_CACHE_HOME", "/c"), ("HOME", "/h"))));

    [Theory]
    [InlineData("off")]
    [InlineData("OFF")]
    [InlineData("0")]
    [InlineData("false")]
    [InlineData("")]
    public void The_switch_turns_it_off(string value) =>
        Assert.Null(StartupJitProfile.Directory(Env((StartupJitProfile.Variable, value), ("HOME", "/h"))));

    [Fact]
    public void The_switch_names_another_directory() =>
        Assert.Equal("/p", StartupJitProfile.Directory(Env((StartupJitProfile.Variable, "/p"), ("HOME", "/h"))));

    [Theory]
    [InlineData(new[] { "evaluate", "--gt", "a" }, "evaluate.jitprofile")]
    [InlineData(new[] { "serve" }, "serve.jitprofile")]
    [InlineData(new[] { "--version" }, "other.jitprofile")]
    [InlineData(new[] { "../x" }, "other.jitprofile")]
    [InlineData(new string[0], "other.jitprofile")]
    public void One_profile_per_command(string[] args, string name) =>
        Assert.Equal(name, StartupJitProfile.ProfileName(args));
}
