using Akka.Actor;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Actors;
using Evaluator.Node.Cli;
using Evaluator.Node.Runtime;
using Microsoft.AspNetCore.Http;

namespace Evaluator.Node.Http;

/// <summary>
/// <c>GET /runs/{id}/events</c>: the latest snapshot on connect, then each newer one, then the
/// final one, then the stream closes. A slow client gets the latest snapshot only (the
/// subscriber's channel holds one), never a growing backlog.
/// </summary>
public static class ServerSentEvents
{
    public static async Task StreamAsync(EvaluatorNode node, string runId, HttpContext ctx, TimeSpan timeout)
    {
        var cancel = ctx.RequestAborted;
        var channel = SnapshotSubscriberActor.LatestOnly();
        var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var subscriber = node.System.ActorOf(SnapshotSubscriberActor.Props(node.Mediator, runId, channel.Writer, subscribed));
        try
        {
            await subscribed.Task.WaitAsync(timeout, cancel);
            if (await HttpApi.Snapshot(node, runId, timeout) is not { } current)
            {
                await HttpApi.Problem(404, "unknown run", $"run '{runId}' not found").ExecuteAsync(ctx);
                return;
            }
            ctx.Response.Headers.ContentType = "text/event-stream";
            ctx.Response.Headers.CacheControl = "no-cache";
            ctx.Response.Headers["X-Accel-Buffering"] = "no";
            var newest = current.Number;
            await WriteAsync(ctx, current, cancel);
            var last = current;
            while (!last.Final && !cancel.IsCancellationRequested)
            {
                RunSnapshot? next;
                using (var wait = CancellationTokenSource.CreateLinkedTokenSource(cancel))
                {
                    wait.CancelAfter(TimeSpan.FromSeconds(2));
                    try
                    {
                        next = await channel.Reader.ReadAsync(wait.Token);
                    }
                    catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
                    {
                        // Pub-sub is at-most-once: poll so that a lost final snapshot cannot hang the stream.
                        next = await HttpApi.Snapshot(node, runId, timeout);
                        if (next is not null && next.Number <= newest && !next.Final)
                        {
                            await ctx.Response.WriteAsync(": keep-alive\n\n", cancel);
                            await ctx.Response.Body.FlushAsync(cancel);
                            continue;
                        }
                    }
                }
                if (next is null || (next.Number <= newest && !next.Final)) continue;
                newest = next.Number;
                last = next;
                await WriteAsync(ctx, next, cancel);
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // the client went away
        }
        finally
        {
            node.System.Stop(subscriber);
        }
    }

    private static async Task WriteAsync(HttpContext ctx, RunSnapshot s, CancellationToken cancel)
    {
        var json = ReportOutput.Json(s, indented: false);
        await ctx.Response.WriteAsync($"id: {s.Number}\nevent: {(s.Final ? "final" : "snapshot")}\ndata: {json}\n\n", cancel);
        await ctx.Response.Body.FlushAsync(cancel);
    }
}
