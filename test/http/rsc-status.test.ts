// RSC ⇄ HTTP status: every row of reference B7 (TS-0009 V3.9.1 column) and
// every row of the B8 fallback table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RSC_HTTP_STATUS, httpStatusForRsc, rscForHttpStatus } from '../../src/http/rsc-status.js';
import { toHttpResponse } from '../../src/http/to-http-response.js';
import { fromHttpResponse } from '../../src/http/from-http-response.js';
import type { RequestPrimitive } from '../../src/primitive/types.js';
import { json } from './json-content.js';


/** Reference B7, copied from the fact sheet (4128 → 403 and 4142 → 400 as its notes say). */
const B7: ReadonlyArray<readonly [rsc: number, http: number, name: string]> = [
  [1000, 202, 'ACCEPTED'],
  [1001, 202, 'ACCEPTED'],
  [1002, 202, 'ACCEPTED'],
  [2000, 200, 'OK'],
  [2001, 201, 'CREATED'],
  [2002, 200, 'DELETED'],
  [2004, 200, 'UPDATED'],
  [4000, 400, 'BAD_REQUEST'],
  [4001, 501, 'RELEASE_VERSION_NOT_SUPPORTED'],
  [4004, 404, 'NOT_FOUND'],
  [4005, 405, 'OPERATION_NOT_ALLOWED'],
  [4008, 504, 'REQUEST_TIMEOUT'],
  [4015, 415, 'UNSUPPORTED_MEDIA_TYPE'],
  [4101, 403, 'SUBSCRIPTION_CREATOR_HAS_NO_PRIVILEGE'],
  [4102, 400, 'CONTENTS_UNACCEPTABLE'],
  [4103, 403, 'ORIGINATOR_HAS_NO_PRIVILEGE'],
  [4104, 409, 'GROUP_REQUEST_IDENTIFIER_EXISTS'],
  [4105, 409, 'CONFLICT'],
  [4106, 403, 'ORIGINATOR_NOT_AUTHENTICATED'],
  [4107, 403, 'SECURITY_ASSOCIATION_REQUIRED'],
  [4108, 403, 'INVALID_CHILD_RESOURCE_TYPE'],
  [4109, 403, 'NO_MEMBERS'],
  [4110, 400, 'GROUP_MEMBER_TYPE_INCONSISTENT'],
  [4111, 403, 'ESPRIM_UNSUPPORTED_OPTION'],
  [4112, 403, 'ESPRIM_UNKNOWN_KEY_ID'],
  [4113, 403, 'ESPRIM_UNKNOWN_ORIG_RAND_ID'],
  [4114, 403, 'ESPRIM_UNKNOWN_RECV_RAND_ID'],
  [4115, 403, 'ESPRIM_BAD_MAC'],
  [4116, 403, 'ESPRIM_IMPERSONATION_ERROR'],
  [4117, 403, 'ORIGINATOR_HAS_ALREADY_REGISTERED'],
  [4118, 404, 'ONTOLOGY_NOT_AVAILABLE'],
  [4119, 404, 'LINKED_SEMANTICS_NOT_AVAILABLE'],
  [4120, 400, 'INVALID_SEMANTICS'],
  [4121, 404, 'MASHUP_MEMBER_NOT_FOUND'],
  [4122, 400, 'INVALID_TRIGGER_PURPOSE'],
  [4123, 400, 'ILLEGAL_TRANSACTION_STATE_TRANSITION_ATTEMPTED'],
  [4124, 409, 'BLOCKING_SUBSCRIPTION_ALREADY_EXISTS'],
  [4125, 501, 'SPECIALIZATION_SCHEMA_NOT_FOUND'],
  [4126, 403, 'APP_RULE_VALIDATION_FAILED'],
  [4127, 403, 'OPERATION_DENIED_BY_REMOTE_ENTITY'],
  [4128, 403, 'SERVICE_SUBSCRIPTION_NOT_ESTABLISHED'],
  [4142, 400, 'INVALID_PROCESS_CONFIGURATION'],
  [4143, 400, 'INVALID_SPARQL_QUERY'],
  [5000, 500, 'INTERNAL_SERVER_ERROR'],
  [5001, 501, 'NOT_IMPLEMENTED'],
  [5103, 404, 'TARGET_NOT_REACHABLE'],
  [5105, 403, 'RECEIVER_HAS_NO_PRIVILEGE'],
  [5106, 409, 'ALREADY_EXISTS'],
  [5107, 404, 'REMOTE_ENTITY_NOT_REACHABLE'],
  [5203, 403, 'TARGET_NOT_SUBSCRIBABLE'],
  [5204, 500, 'SUBSCRIPTION_VERIFICATION_INITIATION_FAILED'],
  [5205, 403, 'SUBSCRIPTION_HOST_HAS_NO_PRIVILEGE'],
  [5206, 501, 'NON_BLOCKING_SYNCH_REQUEST_NOT_SUPPORTED'],
  [5207, 406, 'NOT_ACCEPTABLE'],
  [5208, 403, 'DISCOVERY_DENIED_BY_IPE'],
  [5209, 500, 'GROUP_MEMBERS_NOT_RESPONDED'],
  [5210, 500, 'ESPRIM_DECRYPTION_ERROR'],
  [5211, 500, 'ESPRIM_ENCRYPTION_ERROR'],
  [5212, 500, 'SPARQL_UPDATE_ERROR'],
  [5214, 403, 'TARGET_HAS_NO_SESSION_CAPABILITY'],
  [5215, 403, 'SESSION_IS_ONLINE'],
  [5216, 500, 'JOIN_MULTICAST_GROUP_FAILED'],
  [5217, 500, 'LEAVE_MULTICAST_GROUP_FAILED'],
  [5218, 403, 'TRIGGERING_DISABLED_FOR_RECIPIENT'],
  [5219, 409, 'UNABLE_TO_REPLACE_REQUEST'],
  [5220, 409, 'UNABLE_TO_RECALL_REQUEST'],
  [5221, 500, 'CROSS_RESOURCE_OPERATION_FAILURE'],
  [5222, 403, 'TRANSACTION_PROCESSING_IS_INCOMPLETE'],
  [6003, 404, 'EXTERNAL_OBJECT_NOT_REACHABLE'],
  [6005, 404, 'EXTERNAL_OBJECT_NOT_FOUND'],
  [6010, 400, 'MAX_NUMBER_OF_MEMBER_EXCEEDED'],
  [6020, 500, 'MGMT_SESSION_CANNOT_BE_ESTABLISHED'],
  [6021, 500, 'MGMT_SESSION_ESTABLISHMENT_TIMEOUT'],
  [6022, 400, 'INVALID_CMDTYPE'],
  [6023, 400, 'INVALID_ARGUMENTS'],
  [6024, 400, 'INSUFFICIENT_ARGUMENTS'],
  [6025, 500, 'MGMT_CONVERSION_ERROR'],
  [6026, 500, 'MGMT_CANCELLATION_FAILED'],
  [6028, 409, 'ALREADY_COMPLETE'],
  [6029, 409, 'MGMT_COMMAND_NOT_CANCELLABLE'],
  [6030, 504, 'EXTERNAL_OBJECT_NOT_REACHABLE_BEFORE_RQET_TIMEOUT'],
  [6031, 504, 'EXTERNAL_OBJECT_NOT_REACHABLE_BEFORE_OET_TIMEOUT'],
];

test('the B7 table has 82 rows and the source table has exactly these codes', () => {
  assert.equal(B7.length, 82);
  assert.deepEqual(
    Object.keys(RSC_HTTP_STATUS).map(Number).sort((a, b) => a - b),
    B7.map(([rsc]) => rsc),
  );
});

for (const [rsc, http, name] of B7) {
  test(`rsc ${rsc} ${name} → HTTP ${http}`, () => {
    assert.equal(httpStatusForRsc(rsc), http);
  });
}

test('4128 SERVICE_SUBSCRIPTION_NOT_ESTABLISHED → 403 and 4142 INVALID_PROCESS_CONFIGURATION → 400 (ACME, B7 notes)', () => {
  assert.equal(httpStatusForRsc(4128), 403);
  assert.equal(httpStatusForRsc(4142), 400);
});

const CLASS_DEFAULTS: ReadonlyArray<readonly [number, number]> = [
  [1003, 202], [1999, 202], [2003, 200], [2005, 200], [2999, 200],
  [4002, 400], [4199, 400], [4999, 400], [5002, 500], [5999, 500],
  [6000, 500], [6999, 500], [3000, 500], [7000, 500], [0, 500], [-1, 500], [2000.5, 500],
];
for (const [rsc, http] of CLASS_DEFAULTS) {
  test(`unknown rsc ${rsc} → class default HTTP ${http}`, () => {
    assert.equal(httpStatusForRsc(rsc), http);
  });
}

// Both directions: a response primitive crosses HTTP and keeps its exact rsc
// (X-M2M-RSC), while the HTTP status is the coarse B7 mapping.
const request: RequestPrimitive = { op: 2, to: 'cse-in', fr: 'Cmyae', rqi: 'r1', rvi: '3' };
for (const [rsc, http, name] of B7) {
  test(`rsc ${rsc} ${name} survives primitive → HTTP ${http} + X-M2M-RSC → primitive`, () => {
    const out = toHttpResponse({ rsc, rqi: 'r1', rvi: '3' }, json, 'r1');
    assert.equal(out.status, http);
    assert.equal(out.headers['x-m2m-rsc'], String(rsc));
    const back = fromHttpResponse(request, { status: out.status, headers: out.headers, body: undefined }, () => json);
    assert.ok(back);
    assert.equal(back.rsc, rsc);
  });
}

/** Reference B8: HTTP status without X-M2M-RSC → rsc; `null` = send no response. */
const B8: ReadonlyArray<readonly [status: number, op: number, rsc: number | null]> = [
  [200, 1, 2001], [200, 2, 2000], [200, 3, 2004], [200, 4, 2002], [200, 5, 2000],
  [201, 1, 2001], [201, 2, 2001],
  [202, 1, 1000], [202, 4, 1000],
  [204, 1, null], [204, 2, null], [204, 5, null],
  [400, 2, 4000],
  [401, 2, 4103],
  [403, 2, 4103],
  [404, 2, 4004],
  [405, 3, 4005],
  [406, 2, 5207],
  [408, 2, 4008],
  [504, 2, 4008],
  [409, 1, 4105],
  [415, 1, 4015],
  [500, 2, 5000],
  [501, 2, 5001],
  // "500 / other → 5000"
  [502, 2, 5000], [503, 2, 5000], [418, 2, 5000], [302, 2, 5000], [206, 2, 5000], [100, 2, 5000],
];
for (const [status, op, rsc] of B8) {
  test(`HTTP ${status} without X-M2M-RSC for op ${op} → ${rsc === null ? 'no response' : `rsc ${rsc}`}`, () => {
    assert.equal(rscForHttpStatus(status, op), rsc);
  });
}

test('HTTP 200 for an unknown op falls back to 2000', () => {
  assert.equal(rscForHttpStatus(200, 9), 2000);
});
