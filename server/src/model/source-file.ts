// One parsed .vmsec file: its text, syntax tree and line index.
import { parse } from '../../../grammar/src/parse';
import type { Document } from '../../../grammar/src/ast';
import { LineIndex } from './line-index';

export interface SourceFile {
  /** Absolute path (the CLI) or a file-system path derived from a URI (the server). */
  readonly path: string;
  readonly text: string;
  readonly doc: Document;
  readonly lines: LineIndex;
}

export function parseSource(path: string, text: string): SourceFile {
  return { path, text, doc: parse(text), lines: new LineIndex(text) };
}
