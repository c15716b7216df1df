// One listener for the server's run notifications; every feature (inline
// gutter, Test Explorer, history, results view, output log) subscribes here
// instead of registering its own handler, so they all see the same runs.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { Methods, type RunResultNotification, type RunStateNotification, type SeedsResult } from '../../../../server/src/protocol';

export const keyOf = (uri: string, scenario: string) => `${uri}#${scenario}`;

export class ResultsHub implements vscode.Disposable {
  private readonly resultEmitter = new vscode.EventEmitter<RunResultNotification>();
  private readonly stateEmitter = new vscode.EventEmitter<RunStateNotification>();
  private readonly seedsEmitter = new vscode.EventEmitter<SeedsResult>();
  /** The latest seeds run of each file (uri). */
  readonly latestSeeds = new Map<string, SeedsResult>();
  readonly onDidSeedsResult = this.seedsEmitter.event;
  /** The latest finished run of each scenario (uri#name). */
  readonly latest = new Map<string, RunResultNotification>();
  readonly onDidRunResult = this.resultEmitter.event;
  readonly onDidChangeRunState = this.stateEmitter.event;
  running: RunStateNotification['running'] = [];

  attach(client: LanguageClient): vscode.Disposable[] {
    return [
      client.onNotification(Methods.runResult, (r: RunResultNotification) => {
        this.latest.set(keyOf(r.uri, r.scenario.name), r);
        this.resultEmitter.fire(r);
      }),
      client.onNotification(Methods.seedsResult, (r: SeedsResult) => {
        this.latestSeeds.set(r.uri, r);
        this.seedsEmitter.fire(r);
      }),
      client.onNotification(Methods.runState, (s: RunStateNotification) => {
        this.running = s.running;
        this.stateEmitter.fire(s);
      }),
    ];
  }

  /** Latest results of a file's scenarios, in the order they finished. */
  latestOf(uri: string): RunResultNotification[] {
    return [...this.latest.values()].filter((r) => r.uri === uri);
  }

  dispose(): void { this.resultEmitter.dispose(); this.stateEmitter.dispose(); this.seedsEmitter.dispose(); }
}
