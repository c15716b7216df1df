// Asking the server which scenarios a file has (vmsec/scenarios), and which
// one is around a position.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { Methods, type Range0, type ScenarioInfo, type ScenariosResult } from '../../../../server/src/protocol';

export async function scenariosOf(client: LanguageClient, uri: vscode.Uri): Promise<ScenarioInfo[]> {
  const r = await client.sendRequest<ScenariosResult>(Methods.scenarios, { uri: uri.toString() });
  return r?.scenarios ?? [];
}

export const toRange = (r: Range0) => new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);

/** The scenario whose range holds `pos`, else the nearest one above it. */
export function scenarioAt(scenarios: ScenarioInfo[], pos: vscode.Position): ScenarioInfo | undefined {
  const inside = scenarios.find((s) => toRange(s.range).contains(pos));
  if (inside) return inside;
  const above = scenarios.filter((s) => s.range.start.line <= pos.line).sort((a, b) => b.range.start.line - a.range.start.line);
  return above[0];
}
