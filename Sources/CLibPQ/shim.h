#ifndef VLM_AUDIT_CLIBPQ_SHIM_H
#define VLM_AUDIT_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
