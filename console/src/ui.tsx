import type { ComponentChildren, JSX } from 'preact';
import { useCallback, useEffect, useId, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';

// Small building blocks every screen uses: loading data, labelled fields with the API's message for
// that field, error boxes, and the text forms of config and header maps.

/** Loads with `load` whenever `deps` change; `reload` runs it again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: ApiError | Error; loading: boolean }>({ loading: true });
  const seq = useRef(0);
  const run = useCallback(() => {
    const n = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    load().then((data) => { if (n === seq.current) setState({ data, loading: false }); },
      (error: Error) => { if (n === seq.current) setState({ error, loading: false }); });
  }, deps);
  useEffect(run, [run]);
  return { ...state, reload: run };
}

/** A form field: its label, the control, a hint, and the API's message for it (announced, linked by aria-describedby). */
export function Field(props: { label: string; error?: string; hint?: string; children: (id: string, describedBy?: string) => JSX.Element }) {
  const id = useId();
  const errId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy = [props.error ? errId : '', props.hint ? hintId : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field${props.error ? ' invalid' : ''}`}>
      <label for={id}>{props.label}</label>
      {props.children(id, describedBy)}
      {props.hint && <small id={hintId} class="hint">{props.hint}</small>}
      {props.error && <p id={errId} class="field-error" role="alert">{props.error}</p>}
    </div>
  );
}

/** An error answer, with its code and request id for a bug report. */
export function ErrorBox({ error }: { error?: Error }) {
  if (!error) return null;
  const e = error as ApiError;
  return (
    <div class="error" role="alert">
      <strong>{e.message}</strong>
      {(e.code || e.requestId) && <small> {e.code ?? ''}{e.requestId ? ` · ${e.requestId}` : ''}</small>}
    </div>
  );
}

/** A form's error, minus the messages shown next to its fields. */
export function FormError({ error, fields }: { error?: Error; fields: string[] }) {
  if (!error) return null;
  const e = error as ApiError;
  const byField = error instanceof ApiError ? error.fields : { '': error.message };
  const rest = Object.entries(byField).filter(([k]) => !fields.includes(k)).map(([, m]) => m);
  if (rest.length === 0) return <p class="error" role="alert">Please correct the fields marked below.</p>;
  return (
    <div class="error" role="alert">
      <strong>{rest.join('; ')}</strong>
      {e.code && <small> {e.code}{e.requestId ? ` · ${e.requestId}` : ''}</small>}
    </div>
  );
}

/** The API's message for `name`, if the error named it. */
export function fieldError(error: Error | undefined, name: string): string | undefined {
  return error instanceof ApiError ? error.fields[name] : undefined;
}

/** "KEY=value" lines → {KEY: value}; blank lines ignored. */
export function parseConfig(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const eq = line.indexOf('=');
    out[(eq < 0 ? line : line.slice(0, eq)).trim()] = eq < 0 ? '' : line.slice(eq + 1);
  }
  return out;
}

/** {KEY: value} → "KEY=value" lines, as parseConfig reads them. */
export function formatConfig(config: Record<string, string> | undefined): string {
  return Object.entries(config ?? {}).map(([k, v]) => `${k}=${v}`).join('\n');
}

/** "Name: value" lines → {Name: [value, ...]}. */
export function parseHeaders(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const colon = line.indexOf(':');
    const name = (colon < 0 ? line : line.slice(0, colon)).trim();
    (out[name] ??= []).push(colon < 0 ? '' : line.slice(colon + 1).trim());
  }
  return out;
}

/** {Name: [value, ...]} → "Name: value" lines, as parseHeaders reads them. */
export function formatHeaders(headers: Record<string, string[]> | undefined): string {
  return Object.entries(headers ?? {}).flatMap(([k, vs]) => vs.map((v) => `${k}: ${v}`)).join('\n');
}

/** A time as the user's locale shows it, with the ISO form on hover. */
export function Time({ iso }: { iso?: string | null }) {
  if (!iso) return <span class="muted">–</span>;
  return <time dateTime={iso} title={iso}>{new Date(iso).toLocaleString()}</time>;
}

/** A status word with its colour (and the word itself, never colour alone). */
export function Status({ status }: { status: string }) {
  return <span class={`status status-${status}`}>{status}</span>;
}

/** A table that scrolls sideways on a narrow screen instead of overflowing the page. */
export function TableWrap({ label, children }: { label: string; children: ComponentChildren }) {
  return <div class="table-wrap" role="region" aria-label={label} tabIndex={0}>{children}</div>;
}

/** The page's heading, focused when the screen changes so that keyboard and screen-reader users land on it. */
export function PageTitle({ children }: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => { ref.current?.focus(); }, []);
  return <h1 tabIndex={-1} ref={ref}>{children}</h1>;
}

/** Asks before an irreversible action. */
export function confirmed(what: string): boolean {
  return window.confirm(`${what}? This cannot be undone.`);
}

/** An encoded hash link of the console. */
export function href(...parts: string[]): string {
  return `#/${parts.map(encodeURIComponent).join('/')}`;
}
