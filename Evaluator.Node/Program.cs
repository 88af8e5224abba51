using Evaluator.Node.Cli;
using Evaluator.Node.Http;
using Evaluator.Node.Runtime;

// First, before anything is JIT-compiled: multi-core JIT replays this command's last profile.
StartupJitProfile.Start(args);

// The composition root: the command line, with the HTTP API as the front end that serve starts.
return EvaluatorCli.Run(args, new HttpFrontEnd());
