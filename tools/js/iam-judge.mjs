// Evaluates IAM requests with @cloud-copilot/iam-simulate, an implementation of AWS's policy
// evaluation logic independent of sseguard's, for the differential test of internal/iampolicy.
// Reads a JSON array of {"name", "simulation"} (iam-simulate's Simulation) on standard input and
// prints a JSON array of {"name", "overall", "identity", "resource", "ignored", "error"}: the overall result
// (Allowed, ExplicitlyDenied, ImplicitlyDenied), the identity policies' and the resource policy's
// own results, the context keys it ignored as not valid for the action, or its validation error.
import { readFileSync } from 'node:fs';
import { runSimulation } from '@cloud-copilot/iam-simulate';

const cases = JSON.parse(readFileSync(0, 'utf8'));
const out = [];
for (const { name, simulation } of cases) {
  try {
    const res = await runSimulation(simulation, { simulationMode: 'Strict' });
    if (res.resultType === 'error') {
      out.push({ name, error: JSON.stringify(res.errors) });
      continue;
    }
    if (res.resultType !== 'single') {
      out.push({ name, error: `unexpected result type ${res.resultType}` });
      continue;
    }
    const a = res.result.analysis ?? {};
    out.push({
      name,
      overall: res.overallResult,
      identity: a.identityAnalysis?.result ?? '',
      resource: a.resourceAnalysis?.result ?? '',
      ignored: res.ignoredContextKeys ?? res.result?.ignoredContextKeys ?? [],
      error: '',
    });
  } catch (e) {
    out.push({ name, error: String(e?.stack ?? e) });
  }
}
process.stdout.write(JSON.stringify(out));
