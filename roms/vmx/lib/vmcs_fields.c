#include "vmx/lib/vmcs_fields.h"

#define VMCS_TABLE_ROW(name, enc, req) {#name, enc, req},
const struct vmcs_field_info vmcs_field_table[] = {VMCS_FIELDS(VMCS_TABLE_ROW)};
#undef VMCS_TABLE_ROW
const unsigned vmcs_field_count = sizeof vmcs_field_table / sizeof *vmcs_field_table;
