import { useEffect, useState } from 'preact/hooks';
import { api, callLog, followLog, projectPath } from '../api';
import { canWrite, Session } from '../session';
import { ErrorBox, href, PageTitle, Status, Time, useLoad } from '../ui';
import type { Call } from './calls';

// One call: status, timings, kind, exit code, result, progress and log. While it is queued or
// running the page asks again every second, and the log streams as the function writes it
// (GET .../log?follow=true).

const LIVE = ['queued', 'running'];

async function load(id: string) {
  const { call } = await api<{ call: Call }>('GET', projectPath(`/calls/${encodeURIComponent(id)}`));
  const log = await callLog(id);
  return { call, log };
}

function Facts({ c }: { c: Call }) {
  return (
    <dl class="facts">
      <dt>Status</dt><dd><Status status={c.status} /></dd>
      <dt>App / route</dt><dd><a href={href('apps', c.app)}>{c.app}</a> <a href={href('apps', c.app, 'routes', c.route)}>{c.route}</a></dd>
      <dt>Kind</dt><dd>{c.kind ?? '–'}{c.kind ? ` (${c.kind === 'hot' ? 'a kept container' : c.kind === 'prestarted' ? 'a container started ahead' : 'a new container'})` : ''}</dd>
      <dt>Trigger</dt><dd>{c.trigger}{c.trigger_id ? ` (${c.trigger_id})` : ''}</dd>
      <dt>Created</dt><dd><Time iso={c.created_at} /></dd>
      <dt>Started</dt><dd><Time iso={c.started_at} /></dd>
      <dt>Completed</dt><dd><Time iso={c.completed_at} /></dd>
      <dt>Waited</dt><dd>{c.started_at ? `${Date.parse(c.started_at) - Date.parse(c.created_at)} ms before it started` : '–'}</dd>
      <dt>Duration</dt><dd>{c.duration_ms === null ? '–' : `${c.duration_ms} ms`}</dd>
      <dt>Exit code</dt><dd>{c.exit_code ?? '–'}</dd>
      <dt>Attempts</dt><dd>{c.attempts}</dd>
      {c.progress != null && <><dt>Progress</dt><dd><progress max={100} value={c.progress} aria-label="Progress" /> {c.progress}%{c.progress_message ? ` ${c.progress_message}` : ''}</dd></>}
    </dl>
  );
}

/** #/calls/{id} */
export function CallPage({ session, id }: { session: Session; id: string }) {
  const data = useLoad(() => load(id), [id]);
  const [cancelError, setCancelError] = useState<Error>();
  const c = data.data?.call;
  const live = !!c && LIVE.includes(c.status);
  useEffect(() => {
    if (!live) return;
    const t = setTimeout(data.reload, 1000);
    return () => clearTimeout(t);
  }, [data.data, live]);
  // The log as it is written, while the call is live; the stored log once it ended.
  const [liveLog, setLiveLog] = useState('');
  useEffect(() => {
    if (!live) return;
    const ac = new AbortController();
    followLog(id, setLiveLog, ac.signal).catch(() => undefined);
    return () => ac.abort();
  }, [id, live]);
  const logText = live && liveLog ? liveLog : data.data?.log.text;
  const cancel = async () => {
    try {
      await api('DELETE', projectPath(`/calls/${encodeURIComponent(id)}`));
      data.reload();
    } catch (err) {
      setCancelError(err as Error);
    }
  };
  return (
    <>
      <p class="crumbs"><a href="#/calls">Calls</a> /</p>
      <PageTitle>Call {id}</PageTitle>
      <ErrorBox error={data.error} />
      {live && <p role="status" class="notice">This call is {c!.status}; the page follows it.</p>}
      {c && <Facts c={c} />}
      {c?.error && (
        <section class="card bad" aria-labelledby="error-h">
          <h2 id="error-h">Error</h2>
          <p class="error-text">{c.error}</p>
        </section>
      )}
      {c && (
        <section class="card" aria-labelledby="result-h">
          <h2 id="result-h">Result{c.truncated ? ' (cut at the output cap)' : ''}</h2>
          {c.result ? <pre class="output">{c.result}</pre> : <p class="muted">No output.</p>}
        </section>
      )}
      {data.data && (
        <section class="card" aria-labelledby="log-h">
          <h2 id="log-h">Log{data.data.log.truncated ? ' (cut at the log cap)' : ''}</h2>
          {logText ? <pre class="output" aria-label="Call log">{logText}</pre> : <p class="muted">{live ? 'Nothing on stderr yet.' : 'The function wrote nothing on stderr.'}</p>}
        </section>
      )}
      {live && canWrite(session) && (
        <p><button type="button" class="danger" onClick={cancel}>Cancel this call</button></p>
      )}
      <ErrorBox error={cancelError} />
    </>
  );
}
