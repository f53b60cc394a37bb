// Per-name value types for XML ⇄ JSON (ref C2: "XML ⇄ JSON is not mechanical").
// Data only; xml-codec.ts reads it. Lookup order: XML_CONTEXT_TYPES[parent][name],
// then XML_GLOBAL_TYPES[name], then the shape of the element itself (unknown
// names keep their text as a string, so XML → JSON → XML loses nothing).
//
// Sources: ref A1/A2 (primitive parameters), A7 (rt), A8 (fc), A10 (pc members),
// D1 (m2m:sgn), Appendix 1 (resource attributes), Appendix 2 (complex types).

/**
 * - `string`, `number`, `boolean`: one atomic value (TS-0004 8.4.3: numbers and
 *   enumerations are JSON numbers).
 * - `list<string>`, `list<number>`: xs:list, one element, space-separated (ref C2).
 * - `complex`: one nested element → JSON object.
 * - `listOfComplex`: maxOccurs > 1, element repeated → JSON array (ref C1/C2).
 * - `any`: jsonLike (cin `con`, attribute `val`): text stays a string.
 */
export type XmlValueType =
  | 'string'
  | 'number'
  | 'boolean'
  | 'list<string>'
  | 'list<number>'
  | 'complex'
  | 'listOfComplex'
  | 'any';

export type XmlTypeTable = Readonly<Record<string, XmlValueType>>;

/** XML namespace of the oneM2M protocol elements (TS-0004 8.3.1, ref C2). */
export const M2M_NAMESPACE = 'http://www.onem2m.org/xml/protocols';

/** Namespaces the encoder declares for known prefixes other than `m2m` (ref C2). */
export const KNOWN_NAMESPACES: Readonly<Record<string, string>> = {
  m2m: M2M_NAMESPACE,
  hd: 'http://www.onem2m.org/xml/protocols/homedomain',
};

/** Global default per short name (names whose type does not depend on the parent). */
export const XML_GLOBAL_TYPES: XmlTypeTable = {
  // --- request / response primitive parameters (ref A1, A2, Appendix 3) ---
  op: 'number',
  to: 'string',
  fr: 'string',
  rqi: 'string',
  ty: 'number',
  pc: 'complex',
  rids: 'list<string>',
  ot: 'string',
  rqet: 'string',
  rset: 'string',
  oet: 'string',
  rt: 'complex',
  rp: 'string',
  rcn: 'number',
  ec: 'number',
  da: 'boolean',
  gid: 'string',
  fc: 'complex',
  drt: 'number',
  tkns: 'list<string>',
  tids: 'list<string>',
  ltids: 'list<string>',
  tqi: 'boolean',
  grtm: 'list<string>',
  asi: 'boolean',
  aus: 'list<string>',
  auri: 'boolean',
  sqi: 'boolean',
  rvi: 'string',
  vsi: 'string',
  ma: 'string',
  rsc: 'number',
  cnst: 'number',
  cnot: 'number',
  ati: 'complex',
  tqf: 'complex',
  asri: 'boolean',

  // --- m2m:responseTypeInfo (ref A7) ---
  rtv: 'number',
  nu: 'list<string>',

  // --- m2m:filterCriteria (ref A8); fc-only list types are in XML_CONTEXT_TYPES.fc ---
  crb: 'string',
  cra: 'string',
  ms: 'string',
  us: 'string',
  sts: 'number',
  stb: 'number',
  exb: 'string',
  exa: 'string',
  lbl: 'list<string>',
  clbl: 'list<string>',
  palb: 'list<string>',
  lbq: 'string',
  chty: 'list<number>',
  pty: 'list<number>',
  sza: 'number',
  szb: 'number',
  cty: 'list<string>',
  catr: 'listOfComplex',
  patr: 'listOfComplex',
  fu: 'number',
  lim: 'number',
  smf: 'list<string>',
  fo: 'number',
  cfs: 'number',
  cfq: 'string',
  lvl: 'number',
  ofst: 'number',
  arp: 'string',
  gmty: 'number',
  geom: 'string',
  gsf: 'number',
  aq: 'string',
  // m2m:attribute (Appendix 2)
  nm: 'string',
  val: 'any',

  // --- primitive content members (ref A10) ---
  'm2m:atrl': 'list<string>',
  atrl: 'list<string>', // TS-0009 example writes <pc><atrl>…</atrl></pc> (ref C2)
  'm2m:uri': 'string',
  'm2m:uril': 'list<string>',
  'm2m:dbg': 'string',
  'm2m:qres': 'string',
  'm2m:rrl': 'complex',
  rrf: 'listOfComplex',
  'm2m:agn': 'complex',
  'm2m:agr': 'complex',
  'm2m:rce': 'complex',
  'm2m:sgn': 'complex',
  'm2m:rsp': 'complex',
  'm2m:rqp': 'complex',
  uri: 'string', // resourceWrapper (Appendix 2 note)

  // --- m2m:notification (ref D1) ---
  nev: 'complex',
  vrq: 'boolean',
  sud: 'boolean',
  sur: 'string',
  cr: 'string',
  nfu: 'string',
  ntt: 'string',
  trr: 'boolean',
  tra: 'boolean',
  idr: 'complex',
  aerp: 'boolean',
  aerid: 'boolean',
  tid1: 'string',
  tid2: 'string',
  net: 'number',
  rep: 'complex',
  om: 'listOfComplex', // list<m2m:operationMonitor> in enc (Appendix 2); nev overrides
  ops: 'number',
  or: 'string', // om originator (ID) and ontologyRef (anyURI): a string either way

  // --- resource attributes (Appendix 1) ---
  aa: 'list<string>',
  acpi: 'list<string>',
  acrs: 'list<string>',
  adri: 'list<string>',
  aei: 'string',
  airi: 'list<string>',
  ape: 'listOfComplex',
  api: 'string',
  apn: 'string',
  apri: 'list<string>',
  ast: 'number',
  at: 'list<string>',
  bn: 'complex',
  cb: 'string',
  cbs: 'number',
  cnd: 'string',
  cnf: 'string',
  cni: 'number',
  cnm: 'number',
  con: 'any',
  conr: 'listOfComplex',
  cs: 'number',
  csi: 'string',
  cst: 'number',
  cstn: 'string',
  csy: 'number',
  csz: 'list<string>',
  ct: 'string',
  ctm: 'string',
  daci: 'list<string>',
  dcnt: 'number',
  dcrp: 'number',
  dcse: 'list<string>',
  dgt: 'string',
  disr: 'boolean',
  dsp: 'string',
  eem: 'number',
  eeno: 'boolean',
  egid: 'string',
  enc: 'complex',
  encs: 'complex',
  esi: 'string',
  et: 'string',
  exc: 'number',
  fcied: 'boolean',
  gn: 'string',
  gpi: 'string',
  hael: 'list<string>',
  hcl: 'string',
  hsl: 'list<string>',
  ici: 'string',
  li: 'string',
  ln: 'boolean',
  loc: 'complex',
  lt: 'string',
  macp: 'list<string>',
  mbs: 'number',
  mdc: 'number',
  mdd: 'boolean',
  mdlt: 'list<string>',
  mdn: 'number',
  mdt: 'number',
  mei: 'string',
  mgca: 'list<string>',
  mia: 'number',
  mid: 'list<string>',
  mni: 'number',
  mnm: 'number',
  mt: 'number',
  mtv: 'boolean',
  nar: 'complex',
  nct: 'number',
  nec: 'number',
  ni: 'string',
  nid: 'string',
  nl: 'string',
  nse: 'boolean',
  nsi: 'listOfComplex',
  nsp: 'number',
  nty: 'number',
  pei: 'number',
  peid: 'number',
  pi: 'string',
  pn: 'number',
  poa: 'list<string>',
  psn: 'number',
  pv: 'complex',
  pvs: 'complex',
  regs: 'string',
  rels: 'list<string>',
  ri: 'string',
  rl: 'complex',
  rms: 'boolean',
  rn: 'string',
  rqag: 'boolean',
  rr: 'boolean',
  rrat: 'list<string>',
  rrats: 'list<string>',
  scp: 'list<string>',
  snr: 'number',
  soe: 'string',
  spi: 'string',
  spty: 'number',
  srat: 'list<string>',
  srt: 'list<number>',
  srv: 'list<string>',
  ssi: 'boolean',
  st: 'number',
  su: 'string',
  subi: 'list<string>',
  svd: 'boolean',
  tren: 'boolean',
  tri: 'string',
  trn: 'number',
  trps: 'boolean',
  tws: 'string',
  twt: 'number',
  vlde: 'boolean',

  // --- complex types (Appendix 2) ---
  acr: 'listOfComplex', // m2m:setOfAcrs
  acor: 'list<string>',
  acop: 'number',
  acco: 'listOfComplex',
  acaf: 'boolean',
  acod: 'listOfComplex',
  aca: 'list<string>',
  actw: 'list<string>',
  acip: 'complex',
  ipv4: 'list<string>',
  ipv6: 'list<string>',
  aclr: 'complex',
  accc: 'list<string>',
  accr: 'list<number>',
  md: 'complex',
  dur: 'string',
  num: 'number',
  mnn: 'number',
  tww: 'string',
  typ: 'number', // childResourceRef / geoCoordinates
  crd: 'string',
  ltia: 'listOfComplex',
  lti: 'string',
  tkid: 'string',
  ch: 'listOfComplex', // childResourceRef, maxOccurs > 1 (ref C1)
};

/** Types that depend on the parent element; consulted before XML_GLOBAL_TYPES. */
export const XML_CONTEXT_TYPES: Readonly<Record<string, XmlTypeTable>> = {
  // ref A8: inside fc, ty is resourceType *list*; atr is list of m2m:attribute
  fc: { ty: 'list<number>', atr: 'listOfComplex' },
  // Appendix 2 m2m:eventNotificationCriteria: net is a list, atr a list of names
  enc: { net: 'list<number>', atr: 'list<string>', om: 'listOfComplex' },
  // ref D1 / Appendix 2 m2m:notificationEvent_type: net one value, om one object
  nev: { net: 'number', om: 'complex', rep: 'complex' },
  // Appendix 2 m2m:accessControlObjectDetails: ty single, chty list
  acod: { ty: 'number', chty: 'list<number>' },
  // m2m:eventNotificationCriteriaSet of crs: enc repeated
  encs: { enc: 'listOfComplex' },
  // ref A10: aggregatedNotification / aggregatedResponse
  'm2m:agn': { 'm2m:sgn': 'listOfComplex' },
  'm2m:agr': { 'm2m:rsp': 'listOfComplex' },
  // Appendix 2 m2m:childResourceRef (also rrf of m2m:rrl): val is the reference text
  ch: { val: 'string', typ: 'number' },
  rrf: { val: 'string', typ: 'number' },
  // m2m:contentRef
  conr: { uri: 'string' },
  // Appendix 2 m2m:IPEDiscoveryRequest_type
  idr: { fc: 'complex' },
};

/**
 * Elements that hold exactly one global element (ref A10, D1): a prefixed child
 * of these is one object. A prefixed child of any other element (e.g. child
 * resources inlined in a resource, rcn 4/8) is an array (ref C1 maxOccurs > 1).
 */
export const XML_SINGLE_CHILD_PARENTS: readonly string[] = [
  'm2m:rqp', 'm2m:rsp', 'rqp', 'rsp', 'pc', 'rep', 'm2m:rce',
];

/**
 * Parameter containers whose empty elements mean an empty string / list, never
 * NULL. NULL (empty element) only deletes attributes in resource content (ref C2).
 */
export const XML_NO_NULL_PARENTS: readonly string[] = ['m2m:rqp', 'm2m:rsp', 'rqp', 'rsp', 'rt', 'fc'];

/**
 * Simple types with XML attributes (ref C2 childResourceRef): these members are
 * written as XML attributes, `val` as the element text. `rn` is an attribute of
 * every element that has one (ref C2 resource name).
 */
export const XML_ATTRIBUTE_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  ch: ['nm', 'typ', 'spty'],
  rrf: ['nm', 'typ', 'spty'],
};
