"""The third-party actions the workflows may use, each pinned to the commit of one release, with
the inputs that release's action.yml declares (required = required and without a default).

Read from each action's repository at the tag (`git rev-parse <tag>^{commit}` and the
action.yml at that commit). actionlint cannot check `with:` keys of SHA-pinned actions, so the
tests check them against this table; bumping a pin means updating its entry from the new tag.
"""

from __future__ import annotations

from typing import NamedTuple


class Pin(NamedTuple):
    version: str
    sha: str
    required: tuple[str, ...]
    inputs: set[str]


PINNED: dict[str, Pin] = {
    "actions/checkout": Pin(
        "v7.0.1", "3d3c42e5aac5ba805825da76410c181273ba90b1", required=(), inputs={
        "allow-unsafe-pr-checkout", "clean", "fetch-depth", "fetch-tags", "filter",
        "github-server-url", "lfs", "path", "persist-credentials", "ref", "repository",
        "set-safe-directory", "show-progress", "sparse-checkout", "sparse-checkout-cone-mode",
        "ssh-key", "ssh-known-hosts", "ssh-strict", "ssh-user", "submodules", "token",
    }),
    "actions/cache": Pin(
        "v5.0.5", "27d5ce7f107fe9357f9df03efb73ab90386fccae", required=("key", "path"), inputs={
        "enableCrossOsArchive", "fail-on-cache-miss", "key", "lookup-only", "path", "restore-keys",
        "save-always", "upload-chunk-size",
    }),
    "actions/upload-artifact": Pin(
        "v7.0.0", "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", required=("path",), inputs={
        "archive", "compression-level", "if-no-files-found", "include-hidden-files", "name",
        "overwrite", "path", "retention-days",
    }),
    "actions/download-artifact": Pin(
        "v8.0.1", "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", required=(), inputs={
        "artifact-ids", "digest-mismatch", "github-token", "merge-multiple", "name", "path",
        "pattern", "repository", "run-id", "skip-decompress",
    }),
    "aws-actions/configure-aws-credentials": Pin(
        "v6.2.3", "e6de054238d6b7531b4efff3b6587d9aade6a06c", required=("aws-region",), inputs={
        "action-timeout-s", "allowed-account-ids", "audience", "aws-access-key-id", "aws-profile",
        "aws-region", "aws-secret-access-key", "aws-session-token", "custom-tags", "disable-retry",
        "force-skip-oidc", "http-proxy", "inline-session-policy", "managed-session-policies",
        "mask-aws-account-id", "no-proxy", "output-credentials", "output-env-credentials",
        "overwrite-aws-profile", "retry-max-attempts", "role-chaining", "role-duration-seconds",
        "role-external-id", "role-session-name", "role-skip-session-tagging", "role-to-assume",
        "special-characters-workaround", "sts-endpoint", "transitive-tag-keys",
        "unset-current-credentials", "use-existing-credentials", "web-identity-token-file",
    }),
    "github/codeql-action/upload-sarif": Pin(
        "v4.36.2", "8aad20d150bbac5944a9f9d289da16a4b0d87c1e", required=(), inputs={
        "category", "checkout_path", "matrix", "ref", "sarif_file", "sha", "token",
        "wait-for-processing",
    }),
    "marocchino/sticky-pull-request-comment": Pin(
        "v3.0.5", "5770ad5eb8f42dd2c4f34da00c94c5381e49af88", required=(), inputs={
        "GITHUB_TOKEN", "append", "delete", "follow_symbolic_links", "header", "hide",
        "hide_and_recreate", "hide_classify", "hide_details", "ignore_empty", "message", "number",
        "number_force", "only_create", "only_update", "owner", "path", "recreate", "repo",
        "skip_unchanged",
    }),
    "peter-evans/create-pull-request": Pin(
        "v8.1.1", "5f6978faf089d4d20b00c7766989d076bb2fc7f1", required=(), inputs={
        "add-paths", "assignees", "author", "base", "body", "body-path", "branch", "branch-suffix",
        "branch-token", "commit-message", "committer", "delete-branch", "draft", "labels",
        "maintainer-can-modify", "milestone", "path", "push-to-fork", "reviewers", "sign-commits",
        "signoff", "team-reviewers", "title", "token",
    }),
    "pulumi/actions": Pin(
        "v7.0.0", "8e5e406f4007fca908480587cb9893c07090f58d", required=(), inputs={
        "always-include-summary", "cloud-url", "color", "command", "comment-on-pr",
        "comment-on-pr-number", "comment-on-summary", "config-map", "continue-on-error", "debug",
        "diff", "edit-pr-comment", "exclude", "exclude-dependents", "exclude-protected",
        "expect-no-changes", "github-token", "log-flow", "log-verbosity", "message", "parallel",
        "plan", "policyPackConfigs", "policyPacks", "pulumi-version", "pulumi-version-file",
        "refresh", "remove", "replace", "secrets-provider", "stack-name", "suppress-outputs",
        "suppress-progress", "target", "target-dependents", "upsert", "work-dir",
    }),
    "pulumi/auth-actions": Pin(
        "v2.1.0", "141415910c3beb54e03b48e9057c204c97b956f2", required=("organization",), inputs={
        "cloud-url", "export-environment-variables", "organization", "requested-token-type",
        "scope", "token-expiration",
    }),
}
