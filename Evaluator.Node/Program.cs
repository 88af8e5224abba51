using Evaluator.Node.Cli;
using Evaluator.Node.Http;

// The composition root: the command line, with the HTTP API as the front end that serve starts.
return EvaluatorCli.Run(args, new HttpFrontEnd());
