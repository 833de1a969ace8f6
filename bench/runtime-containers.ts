// Running containers of one route, from Docker's labels (the bench only).
import { execFileSync } from 'node:child_process';

/** How many running containers on this host are labelled for route `path`. */
export function containersOfRoute(path: string): number {
  const out = execFileSync('docker', ['ps', '-q', '--filter', `label=io.fresco.route=${path}`], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean).length;
}
