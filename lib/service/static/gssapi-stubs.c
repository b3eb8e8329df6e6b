// SPDX-License-Identifier: LGPL-2.1-or-later
// GSS-API functions that fail, linked only into the static kexdump
// (meson.build, -Dstatic=true). Debian's libssh.a is built with GSS-API
// (gssapi.c), and its objects that kexdump pulls in reference these, but
// Debian ships no static libgssapi_krb5. kexdump never authenticates with
// GSS-API (lib/service/sftp.c turns SSH_OPTIONS_GSSAPI_AUTH off), so these
// are never reached; if one were, it fails as a GSS-API without mechanisms
// does: GSS_S_FAILURE, minor status 0. The names are GSS-API's (RFC 2744),
// hence no kd_ prefix; the parameters are RFC 2744's, with opaque pointers.
typedef unsigned int gss_u32;

// The parameters are there for the signatures only.
#pragma GCC diagnostic ignored "-Wunused-parameter"

#define GSS_S_FAILURE (13u << 16)

#define GSSAPI_STUB(name, ...)                                  \
	gss_u32 name(gss_u32 *minor, __VA_ARGS__);              \
	gss_u32 name(gss_u32 *minor, __VA_ARGS__)               \
	{                                                       \
		if (minor)                                      \
			*minor = 0;                             \
		return GSS_S_FAILURE;                           \
	}

GSSAPI_STUB(gss_display_status, gss_u32 value, int type, void *mech, gss_u32 *ctx, void *out)
GSSAPI_STUB(gss_release_buffer, void *buffer)
GSSAPI_STUB(gss_release_cred, void *cred)
GSSAPI_STUB(gss_create_empty_oid_set, void *set)
GSSAPI_STUB(gss_indicate_mechs, void *set)
GSSAPI_STUB(gss_test_oid_set_member, void *member, void *set, int *present)
GSSAPI_STUB(gss_add_oid_set_member, void *member, void *set)
GSSAPI_STUB(gss_release_oid_set, void *set)
GSSAPI_STUB(gss_accept_sec_context, void *ctx, void *cred, void *in, void *chan, void *src,
	    void *mech, void *out, gss_u32 *flags, gss_u32 *time, void *deleg)
GSSAPI_STUB(gss_acquire_cred, void *name, gss_u32 time, void *mechs, int usage, void *cred,
	    void *actual, gss_u32 *time_rec)
GSSAPI_STUB(gss_display_name, void *name, void *out, void *type)
GSSAPI_STUB(gss_get_mic, void *ctx, gss_u32 qop, void *msg, void *token)
GSSAPI_STUB(gss_import_name, void *in, void *type, void *name)
GSSAPI_STUB(gss_init_sec_context, void *cred, void *ctx, void *target, void *mech,
	    gss_u32 req, gss_u32 time, void *chan, void *in, void *actual, void *out,
	    gss_u32 *ret_flags, gss_u32 *time_rec)
GSSAPI_STUB(gss_inquire_cred, void *cred, void *name, gss_u32 *life, int *usage, void *mechs)
GSSAPI_STUB(gss_inquire_cred_by_mech, void *cred, void *mech, void *name, gss_u32 *init,
	    gss_u32 *accept, int *usage)
GSSAPI_STUB(gss_release_name, void *name)
GSSAPI_STUB(gss_verify_mic, void *ctx, void *msg, void *token, void *qop)

// The name types libssh passes to gss_import_name(): never dereferenced
// here.
extern void *GSS_C_NT_HOSTBASED_SERVICE, *GSS_C_NT_USER_NAME;
void *GSS_C_NT_HOSTBASED_SERVICE, *GSS_C_NT_USER_NAME;
