using Evaluator.Node.Cli;

return EvaluatorCli.Run(args);
