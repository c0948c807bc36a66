/** The service's vocabularies, as the console offers them (the API refuses anything else anyway). */
const choices = (ids: readonly string[]) => ids.map((id) => ({ id, name: id.replace(/_/g, ' ') }));

export const STATUSES = choices(['new', 'contacted', 'qualified', 'customer', 'disqualified']);
export const WORK_STATUSES = STATUSES.filter((s) => s.id !== 'customer');
export const SOURCES = choices(['web_form', 'chatbot', 'email', 'messenger', 'phone', 'widget', 'customer', 'event', 'manual']);
export const LEGAL_BASES = choices(['contract', 'legitimate_interest', 'consent']);
export const CONSENT_PURPOSES = choices(['service_updates', 'request_contact', 'other_services_ask']);
export const INQUIRY_TYPES = choices(['expert_take', 'services', 'white_paper', 'demo', 'other']);
