import { api } from '../api';
import { ErrorBox, PageTitle, TableWrap, useLoad } from '../ui';

// The operator's view of the engines (GET /v1/engines, admins only). The navigation shows this screen
// only when this Fresco's API has that endpoint and answers it; the columns are the fields it gives.

type Engine = Record<string, unknown>;

function cell(v: unknown): string {
  if (v === null || v === undefined) return '–';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** #/engines */
export function EnginesPage() {
  const engines = useLoad(() => api<{ engines: Engine[] }>('GET', '/v1/engines'), []);
  const list = engines.data?.engines ?? [];
  const columns = [...new Set(list.flatMap((e) => Object.keys(e)))];
  return (
    <>
      <PageTitle>Engines</PageTitle>
      <ErrorBox error={engines.error} />
      {engines.data && (list.length === 0 ? <p>No engine has reported.</p> : (
        <TableWrap label="Engines">
          <table>
            <thead><tr>{columns.map((c) => <th scope="col" key={c}>{c}</th>)}</tr></thead>
            <tbody>{list.map((e, i) => <tr key={i}>{columns.map((c) => <td key={c}>{cell(e[c])}</td>)}</tr>)}</tbody>
          </table>
        </TableWrap>
      ))}
    </>
  );
}
