// Event-type and publisher patterns, with fnmatch semantics as Ceilometer's event definitions use
// them: "*" matches any run of characters, dots included ("compute.instance.*" matches
// "compute.instance.create.end"), "?" one character; everything else is literal. Case-sensitive,
// as oslo event types are.

/** True when `value` matches the glob `pattern` in full; O(len(pattern)·len(value)) at worst. */
export function globMatch(pattern: string, value: string): boolean {
  // The greedy two-pointer wildcard match: no regex, so no catastrophic backtracking on "*a*a*a…".
  let p = 0;
  let v = 0;
  let star = -1;
  let mark = 0;
  while (v < value.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === value[v])) {
      p++;
      v++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = v;
    } else if (star >= 0) {
      p = star + 1;
      v = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}
