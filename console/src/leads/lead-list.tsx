import { Card, CardContent } from '@mui/material';
import {
  CreateButton, DatagridConfigurable, DateField, ExportButton, FilterList, FilterListItem, FilterLiveSearch, List, SavedQueriesList,
  SelectInput, TextField, TextInput, TopToolbar, FunctionField, Pagination, SelectColumnsButton, DateInput,
} from 'react-admin';
import { CONSENT_PURPOSES, LEGAL_BASES, SOURCES, STATUSES } from '../common/choices';
import { RecordLink } from '../common/record-link';

/** The side panel: one click per filter, as in Atomic CRM; saved queries are kept per user in this browser. */
function LeadFilters() {
  return (
    <Card sx={{ order: -1, mr: 2, mt: 1, width: 230, display: { xs: 'none', md: 'block' } }}>
      <CardContent>
        <FilterLiveSearch source="q" label="Name, e-mail, company" />
        <SavedQueriesList />
        <FilterList label="Status" icon={null}>
          {STATUSES.map((s) => <FilterListItem key={s.id} label={s.name} value={{ status: [s.id] }} />)}
        </FilterList>
        <FilterList label="Channel" icon={null}>
          {SOURCES.map((s) => <FilterListItem key={s.id} label={s.name} value={{ source: s.id }} />)}
        </FilterList>
        <FilterList label="Consent given" icon={null}>
          {CONSENT_PURPOSES.map((s) => <FilterListItem key={s.id} label={s.name} value={{ consentPurpose: s.id }} />)}
        </FilterList>
        <FilterList label="Legal basis" icon={null}>
          {LEGAL_BASES.map((s) => <FilterListItem key={s.id} label={s.name} value={{ legalBasis: s.id }} />)}
        </FilterList>
      </CardContent>
    </Card>
  );
}

const filters = [
  <TextInput key="phone" source="phone" label="Phone" />,
  <SelectInput key="status" source="status" choices={STATUSES} />,
  <SelectInput key="source" source="source" label="Channel" choices={SOURCES} />,
  <TextInput key="ownerId" source="ownerId" label="Owner (user id)" />,
  <TextInput key="companyId" source="companyId" label="Company (id)" />,
  <DateInput key="createdFrom" source="createdFrom" label="Created from" />,
  <DateInput key="createdTo" source="createdTo" label="Created before" />,
];

const name = (r: { firstName: string | null; lastName: string | null; email: string | null }) => [r.firstName, r.lastName].filter(Boolean).join(' ') || r.email || '(no name)';

export function LeadList() {
  return (
    <List
      title="Leads"
      aside={<LeadFilters />}
      filters={filters}
      sort={{ field: 'createdAt', order: 'DESC' }}
      perPage={50}
      pagination={<Pagination rowsPerPageOptions={[25, 50, 100]} />}
      actions={<TopToolbar><SelectColumnsButton /><CreateButton label="New lead" /><ExportButton /></TopToolbar>}
    >
      <DatagridConfigurable rowClick="show" bulkActionButtons={false}>
        <FunctionField label="Name" source="name" sortBy="name" render={() => <RecordLink text={(r) => name(r as never)} />} />
        <TextField source="email" sortable={false} />
        <TextField source="companyName" label="Company" sortable={false} />
        <TextField source="status" sortable={false} />
        <TextField source="latestInquiryType" label="Inquiry" sortable={false} emptyText="—" />
        <FunctionField label="Request" sortable={false} render={(r: { latestRequest?: string | null }) => (r.latestRequest ? r.latestRequest.slice(0, 80) : '—')} />
        <TextField source="ownerName" label="Owner" sortable={false} emptyText="nobody" />
        <DateField source="createdAt" label="Created" showTime />
      </DatagridConfigurable>
    </List>
  );
}

export const leadName = name;
