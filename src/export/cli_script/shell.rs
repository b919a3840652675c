//! The shell text of `setup.sh`: the prelude and the functions it defines,
//! and each check's and step's commands, which the script writer puts
//! together. Kept whole, over 600 lines: it is the script's own text, one
//! constant a step or check, and cutting it up would only scatter the script.

/// Where a dry run stops: it says how many changes are pending (exit 2) or
/// that there are none (exit 0), as `sluice plan` does.
pub(super) const DRY_RUN_END: &str = r#"
changes=0
[ -f "$WORK/changes" ] && changes=$(($(wc -l <"$WORK/changes")))
if [ "$DRY_RUN" = true ]; then
  if [ "$changes" -eq 0 ]; then
    step "Dry run: nothing to change"
    exit 0
  fi
  step "Dry run: $changes write(s) pending; nothing was written"
  exit 2
fi
"#;

pub(super) const PRELUDE: &str = r#"
usage() {
  cat <<USAGE
Usage: ./setup.sh [--dry-run] [--yes]

Sets up the $STACK_NAME pipeline in $REGION, in the account of the AWS CLI's
current credentials, as the header of this script describes.

  --dry-run   read the account and print what would be created, changed and
              backed up; write nothing. Exit status 0: nothing to change,
              2: changes pending, 1: an error.
  --yes       apply without asking. Without it, setup.sh shows the dry run
              and asks on a terminal; with no terminal it stops.
  -h, --help  show this help; nothing is read or written.

Environment: the AWS CLI's own (AWS_PROFILE, AWS_ENDPOINT_URL, ...);
SLUICE_BACKUP_DIR, where the prior state of what it changes is saved
(default ./sluice-backup-<UTC time>/); SLUICE_OUT_DIR, where a new access
key's 0600 file goes (default .).
USAGE
}
DRY_RUN=false
ASSUME_YES=false
for arg in "$@"; do
  case "$arg" in
    -h | --help)
      usage
      exit 0
      ;;
    --dry-run) DRY_RUN=true ;;
    -y | --yes) ASSUME_YES=true ;;
    *)
      printf 'setup.sh: unknown argument %s (see ./setup.sh --help); nothing was read or changed\n' "$arg" >&2
      exit 64
      ;;
  esac
done

# Without --yes: show the dry run, then ask before the first write.
if [ "$DRY_RUN" = false ] && [ "$ASSUME_YES" = false ]; then
  if [ ! -t 0 ]; then
    echo "setup.sh: not on a terminal, so it cannot ask: run with --yes to apply, or --dry-run to see what would change; nothing was changed" >&2
    exit 64
  fi
  self=${BASH_SOURCE[0]}
  [ -f "$self" ] || { echo "setup.sh: cannot find this script to run its dry run: run with --dry-run, then --yes" >&2; exit 64; }
  status=0
  bash "$self" --dry-run || status=$?
  case "$status" in
    0) exit 0 ;;
    2) ;;
    *) exit "$status" ;;
  esac
  printf 'Make these changes? [y/N] '
  read -r answer || answer=
  case "$answer" in
    y | Y | yes | YES) ;;
    *)
      echo "Nothing was changed."
      exit 1
      ;;
  esac
fi

for tool in aws jq; do
  command -v "$tool" >/dev/null 2>&1 || { echo "setup.sh: $tool is required but not installed" >&2; exit 1; }
done

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
BACKUP_DIR=${SLUICE_BACKUP_DIR:-sluice-backup-$(date -u +%Y%m%dT%H%M%SZ)}
NOT_FOUND='NoSuchEntity|NoSuchBucket|NoSuchTagSet|NoSuchBucketPolicy|NonExistentQueue|QueueDoesNotExist|NoSuchPublicAccessBlockConfiguration|OwnershipControlsNotFoundError|ServerSideEncryptionConfigurationNotFoundError|ResourceNotFoundException|\(NotFound\)|\(404\)|Not Found'

# The AWS CLI v1 ignores AWS_ENDPOINT_URL for some services (SQS): pass it explicitly.
ENDPOINT_ARGS=()
if [ -n "${AWS_ENDPOINT_URL:-}" ]; then ENDPOINT_ARGS=(--endpoint-url "$AWS_ENDPOINT_URL"); fi
aws_() { aws --region "$REGION" --output json ${ENDPOINT_ARGS[@]+"${ENDPOINT_ARGS[@]}"} "$@"; }
# Messages go to fd 3 (stdout), so that a write's output can be captured.
exec 3>&1
step() { printf '==> %s\n' "$*" >&3; }
say() { printf '    %s\n' "$*" >&3; }
value() { printf '%-18s %s\n' "$1" "$2"; }
die() { printf 'setup.sh: %s\n' "$*" >&2; exit 1; }

# probe OUT CMD...: runs CMD with its output in OUT. Succeeds when it worked,
# fails when the resource does not exist, stops the script on any other error.
probe() {
  local out=$1
  shift
  if "$@" >"$out" 2>"$WORK/stderr"; then return 0; fi
  if grep -qE "$NOT_FOUND" "$WORK/stderr"; then return 1; fi
  cat "$WORK/stderr" >&2
  exit 1
}

# unread WHAT ACTION STAYS: after a read of something the spec no longer
# has failed: "none" when it does not exist, STAYS when ACTION was denied
# (a caller without the right is not stopped for it), else the error, and stop.
unread() {
  if grep -qE "$NOT_FOUND" "$WORK/stderr"; then
    say "${1}none"
  elif grep -q "AuthorizationError\|AccessDenied" "$WORK/stderr"; then
    say "${1}cannot be read ($2 denied): $3, if any, stays"
  else
    cat "$WORK/stderr" >&2
    exit 1
  fi
}

# old_identity KIND NAME: reads the IAM role or user NAME the spec no longer
# has (into old-KIND.json) with its attached and inline policies
# (old-KIND-attached.json, old-KIND-inline.json), and prints the stack its
# tag names; fails when it cannot be read (see unread).
old_identity() {
  aws_ iam "get-$1" "--$1-name" "$2" >"$WORK/old-$1.json" 2>"$WORK/stderr" || return 1
  aws_ iam "list-attached-$1-policies" "--$1-name" "$2" >"$WORK/old-$1-attached.json"
  aws_ iam "list-$1-policies" "--$1-name" "$2" >"$WORK/old-$1-inline.json"
  aws_ iam "list-$1-tags" "--$1-name" "$2" | jq -r "$JQ_STACK"
}

# same A B: the two JSON files hold the same document.
same() { [ "$(jq -S . "$1")" = "$(jq -S . "$2")" ]; }

# The stack a tag list ({"Tags": [{"Key", "Value"}...]}) names in its
# sluice:stack tag, empty when none.
JQ_STACK='[.Tags[]? | select(.Key == "sluice:stack") | .Value][0] // empty'
# stack_of SERVICE ARN: the stack the resource of ARN belongs to, by its tag.
stack_of() { aws_ "$1" list-tags-for-resource --resource-arn "$2" | jq -r "$JQ_STACK"; }

# backup NAME < FILE: keeps the prior state of something about to change.
backup() {
  if [ "$DRY_RUN" = true ]; then
    cat >/dev/null
    say "would back up the previous $1 to $BACKUP_DIR/$1"
    return
  fi
  mkdir -p "$BACKUP_DIR"
  cat >"$BACKUP_DIR/$1"
  say "backed up the previous $1 to $BACKUP_DIR/$1"
}

# write_ ARGS...: an AWS CLI call that changes the account. A dry run only
# counts it (and prints nothing: did says what would happen).
write_() {
  echo "aws $1 $2" >>"$WORK/changes"
  if [ "$DRY_RUN" = true ]; then return 0; fi
  aws_ "$@"
}
# did DONE WOULD: what a write did, or in a dry run what it would do.
did() {
  if [ "$DRY_RUN" = true ]; then say "would $2"; else say "$1"; fi
}

# doc NAME < JSON: a document, with the account id filled in.
doc() {
  jq --arg account "$ACCOUNT_ID" \
    'walk(if type == "string" then gsub("<ACCOUNT_ID>"; $account) else . end)' >"$WORK/$1"
}

# jq programs (their $names are jq's; a script uses only some of them)
# shellcheck disable=SC2016,SC2034
JQ_CONFLICTS='
def rules($e): [($e.Filter.Key.FilterRules // [])[] | {key: (.Name | ascii_downcase), value: .Value}] | from_entries;
def pfx($e): rules($e).prefix // "";
def sfx($e): rules($e).suffix // "";
def covers($w; $n): ($w | endswith(":*")) and ($n | startswith($w[0:-1]));
def shared($a; $b): any($a.Events[]; . as $x | any($b.Events[]; . as $y | $x == $y or covers($x; $y) or covers($y; $x)));
def overlap($a; $b): (pfx($a) as $p | pfx($b) as $q | ($p | startswith($q)) or ($q | startswith($p)))
  and (sfx($a) as $s | sfx($b) as $t | ($s | endswith($t)) or ($t | endswith($s)));
$ours[0] as $o
| [(.QueueConfigurations // [])[] | select(.Id != $o.Id) | {kind: "queue", target: .QueueArn, e: .}]
  + [(.TopicConfigurations // [])[] | {kind: "topic", target: .TopicArn, e: .}]
  + [(.LambdaFunctionConfigurations // [])[] | {kind: "Lambda function", target: .LambdaFunctionArn, e: .}]
| .[]
| select(.e.Id == $o.Id or (shared($o; .e) and overlap($o; .e)))
| "the existing \(.kind) entry \(.e.Id // "(no id)") to \(.target)"'
# shellcheck disable=SC2016,SC2034
JQ_TOPIC_COVERS='
def rule($e; $name): [($e.Filter.Key.FilterRules // [])[] | select(.Name | ascii_downcase == $name) | .Value][0] // "";
def covers($w; $n): $w == $n or (($w | endswith(":*")) and ($n | startswith($w[0:-1])));
[(.TopicConfigurations // [])[] | select(.TopicArn == $topic)
 | . as $e
 | select(($prefix | startswith(rule($e; "prefix"))) and ($suffix | endswith(rule($e; "suffix"))))
 | select(all($events[]; . as $x | any($e.Events[]; covers(.; $x))))
 | .Id // "(no id)"] | first // empty'
# shellcheck disable=SC2016,SC2034
JQ_RECOGNISE='
def rules($e): [($e.Filter.Key.FilterRules // [])[] | {key: (.Name | ascii_downcase), value: .Value}] | from_entries;
def pfx($e): rules($e).prefix // "";
def sfx($e): rules($e).suffix // "";
$ours[0] as $o
| if any((.QueueConfigurations // [])[]; .Id == $o.Id) then $o.Id
  else ([(.QueueConfigurations // [])[]
         | select(.QueueArn == $o.QueueArn and ((.Events | sort) == ($o.Events | sort))
                  and pfx(.) == pfx($o) and sfx(.) == sfx($o))
         | .Id] | first // $o.Id) end'
# recognise_ours: an entry that is ours by what it is (our queue, events and
# key filter) under an Id S3 gave it, as CloudFormation leaves it, is kept
# under that Id.
# read_notification: the bucket's notification configuration into
# $WORK/notification-before.json ({} when it has none).
read_notification() {
  if [ "$DRY_RUN" = true ] && [ "$BUCKET_EXISTS" = false ]; then
    echo '{}' >"$WORK/notification-before.json" # the bucket a real run would create
    return
  fi
  aws_ s3api get-bucket-notification-configuration --bucket "$BUCKET" >"$WORK/notification-before.json"
  [ -s "$WORK/notification-before.json" ] || echo '{}' >"$WORK/notification-before.json"
}
# write_notification FILE [ARGS...]: backs up the configuration read before
# (when it had any), then writes FILE as the bucket's whole configuration.
write_notification() {
  if [ "$(jq -c . "$WORK/notification-before.json")" != "{}" ]; then
    backup bucket-notification.json <"$WORK/notification-before.json"
  fi
  write_ s3api put-bucket-notification-configuration --bucket "$BUCKET" \
    --notification-configuration "file://$1" "${@:2}"
}
# without_ours IN OUT: the configuration IN without our direct entry (by its
# Id, or ours by what it is), as a route other than direct leaves it.
without_ours() {
  local id
  id=$(jq -r --slurpfile ours "$WORK/notification-entry.json" "$JQ_RECOGNISE" "$1")
  jq --arg id "$id" "$JQ_FOREIGN_ENTRIES" "$1" >"$2"
}
recognise_ours() {
  local id
  id=$(jq -r --slurpfile ours "$WORK/notification-entry.json" "$JQ_RECOGNISE" "$WORK/notification-before.json")
  if [ "$id" != "$NOTIFICATION_ID" ]; then
    say "entry $id is ours (this queue, these events, this key filter): kept under that Id"
    jq --arg id "$id" '.Id = $id' "$WORK/notification-entry.json" >"$WORK/notification-entry.renamed.json"
    mv "$WORK/notification-entry.renamed.json" "$WORK/notification-entry.json"
    NOTIFICATION_ID=$id
  fi
}
# shellcheck disable=SC2016,SC2034
JQ_MERGE_NOTIFICATION='$ours[0] as $o
| if any((.QueueConfigurations // [])[]; .Id == $o.Id)
  then .QueueConfigurations |= map(if .Id == $o.Id then $o else . end)
  else .QueueConfigurations = ((.QueueConfigurations // []) + [$o]) end'
# shellcheck disable=SC2016,SC2034
JQ_FOREIGN_ENTRIES='del(.QueueConfigurations[]? | select(.Id == $id))
| if .QueueConfigurations == [] then del(.QueueConfigurations) else . end'
# shellcheck disable=SC2016,SC2034
JQ_MERGE_STATEMENTS='.Statement |= (if . == null then [] elif type == "array" then . else [.] end)
| reduce $ours[0].Statement[] as $s (.;
    if any(.Statement[]; .Sid == $s.Sid)
    then .Statement |= map(if .Sid == $s.Sid then $s else . end)
    else .Statement += [$s] end)'
# shellcheck disable=SC2016,SC2034
JQ_CHANGED_ATTRIBUTES='def norm: if type == "string" then (try fromjson catch .) else . end;
$want[0] as $w | (.Attributes // {}) as $h
| [$w | keys[] | select(($w[.] | norm) != ($h[.] | norm))] | join(", ")'

# queue_attributes URL WANT NAME: sets the attributes in WANT that differ, after a backup.
queue_attributes() {
  local url=$1 want=$2 name=$3 changed
  aws_ sqs get-queue-attributes --queue-url "$url" --attribute-names All >"$WORK/have.json"
  [ -s "$WORK/have.json" ] || echo '{}' >"$WORK/have.json"
  changed=$(jq -r --slurpfile want "$WORK/$want" "$JQ_CHANGED_ATTRIBUTES" "$WORK/have.json")
  if [ -z "$changed" ]; then
    say "no change"
    return
  fi
  jq '.Attributes // {}' "$WORK/have.json" | backup "$name"
  write_ sqs set-queue-attributes --queue-url "$url" --attributes "file://$WORK/$want"
  did "updated: $changed" "update: $changed"
}

# attach_policy role|user NAME: attaches the permissions policy, unless it is already.
attach_policy() {
  local kind=$1 name=$2 attached=
  if probe "$WORK/attached.json" aws_ iam "list-attached-$kind-policies" "--$kind-name" "$name"; then
    attached=$(jq -r --arg arn "$POLICY_ARN" 'any(.AttachedPolicies[]?; .PolicyArn == $arn)' "$WORK/attached.json")
  fi
  if [ "$attached" = true ]; then
    say "policy attached: no change"
  else
    write_ iam "attach-$kind-policy" "--$kind-name" "$name" --policy-arn "$POLICY_ARN"
    did "policy attached" "attach the permissions policy"
  fi
}

ACCOUNT_ID=$(aws_ sts get-caller-identity --query Account --output text)
if [ -n "$EXPECTED_ACCOUNT" ] && [ "$ACCOUNT_ID" != "$EXPECTED_ACCOUNT" ]; then
  die "the spec is for account $EXPECTED_ACCOUNT but these credentials are for $ACCOUNT_ID"
fi
POLICY_ARN="arn:$PARTITION:iam::$ACCOUNT_ID:policy/$POLICY_NAME"
ROLE_ARN="arn:$PARTITION:iam::$ACCOUNT_ID:role/$ROLE_NAME"
ALARM_TOPIC_ARN="arn:$PARTITION:sns:$REGION:$ACCOUNT_ID:$ALARM_TOPIC_NAME"
step "Account $ACCOUNT_ID, region $REGION"
"#;

pub(super) const PREFLIGHT_CREATE_BUCKET: &str = r#"
# ---- preflight: nothing is written before these checks pass
BUCKET_EXISTS=false
if probe /dev/null aws_ s3api head-bucket --bucket "$BUCKET"; then
  BUCKET_EXISTS=true
  # Only a bucket this stack made has its settings and policy brought in line.
  owner=
  if probe "$WORK/bucket-tags.json" aws_ s3api get-bucket-tagging --bucket "$BUCKET"; then
    owner=$(jq -r '[.TagSet[]? | select(.Key == "sluice:stack") | .Value][0] // empty' "$WORK/bucket-tags.json")
  fi
  if [ "$owner" != "$STACK_NAME" ]; then
    if [ -n "$owner" ]; then whose="belongs to stack $owner"; else whose="exists and is not this stack's (no sluice:stack=$STACK_NAME tag)"; fi
    die "bucket $BUCKET $whose: this script would create it and bring its settings and policy in line. To use it as it is, export the spec with bucket.create false (only the pipeline's notification is added), or choose another bucket.name; nothing was changed"
  fi
fi
"#;

pub(super) const PREFLIGHT_ADOPT_BUCKET: &str = r#"
# ---- preflight: nothing is written before these checks pass
probe /dev/null aws_ s3api head-bucket --bucket "$BUCKET" \
  || die "bucket $BUCKET does not exist; the spec adopts an existing bucket (bucket.create is false)"
BUCKET_EXISTS=true
"#;

pub(super) const PREFLIGHT_OWNERSHIP: &str = r#"
# ours_or_die KIND NAME: a KIND of that name that exists must be this stack's.
ours_or_die() {
  local kind=$1 name=$2 owner='' description='' arn='' hint='choose another name in the spec'
  case "$kind" in
    policy)
      probe "$WORK/owner.json" aws_ iam get-policy --policy-arn "$POLICY_ARN" || return 0
      description=$(jq -r '.Policy.Description // ""' "$WORK/owner.json")
      owner=$(aws_ iam list-policy-tags --policy-arn "$POLICY_ARN" \
        | jq -r "$JQ_STACK")
      [ -z "$owner" ] && [ "$description" = "$POLICY_DESCRIPTION" ] && return 0
      ;;
    role)
      probe "$WORK/owner.json" aws_ iam get-role --role-name "$name" || return 0
      description=$(jq -r '.Role.Description // ""' "$WORK/owner.json")
      owner=$(aws_ iam list-role-tags --role-name "$name" \
        | jq -r "$JQ_STACK")
      [ -z "$owner" ] && [ "$description" = "$ROLE_DESCRIPTION" ] && return 0
      ;;
    user)
      probe "$WORK/owner.json" aws_ iam get-user --user-name "$name" || return 0
      owner=$(aws_ iam list-user-tags --user-name "$name" \
        | jq -r "$JQ_STACK")
      ;;
    queue)
      probe "$WORK/owner.json" aws_ sqs get-queue-url --queue-name "$name" || return 0
      owner=$(aws_ sqs list-queue-tags --queue-url "$(jq -r .QueueUrl "$WORK/owner.json")" \
        | jq -r '.Tags["sluice:stack"] // empty')
      ;;
    alarm-topic)
      probe "$WORK/owner.json" aws_ sns get-topic-attributes --topic-arn "$ALARM_TOPIC_ARN" || return 0
      owner=$(stack_of sns "$ALARM_TOPIC_ARN")
      hint="name it in the spec's alarms.topic_arn ($ALARM_TOPIC_ARN) to have the alarms notify it as it is"
      ;;
    alarm)
      aws_ cloudwatch describe-alarms --alarm-names "$name" --alarm-types MetricAlarm >"$WORK/owner.json"
      arn=$(jq -r '.MetricAlarms[0].AlarmArn // empty' "$WORK/owner.json")
      [ -n "$arn" ] || return 0
      owner=$(stack_of cloudwatch "$arn")
      hint="rename or delete that alarm, or turn this one off in the spec's alarms section"
      ;;
  esac
  [ "$owner" = "$STACK_NAME" ] && return 0
  if [ -n "$owner" ]; then
    die "$kind $name belongs to stack $owner: sluice does not take over what others made; $hint; nothing was changed"
  fi
  die "$kind $name exists and is not this stack's (no sluice:stack=$STACK_NAME tag): sluice does not take over what others made; $hint; nothing was changed"
}
"#;

/// What the alarms' steps share: the stack's tags on an existing resource
/// of the stack, and an alarm made or brought to its definition.
pub(super) const ALARM_FUNCTIONS: &str = r#"
# tags_in_line SERVICE ARN: gives a resource of the stack the stack's tags it lacks.
tags_in_line() {
  local service=$1 arn=$2 missing
  missing=$(aws_ "$service" list-tags-for-resource --resource-arn "$arn" \
    | jq -r --argjson want "$IAM_TAGS" '(.Tags // []) as $have
      | [$want[] | select(. as $t | any($have[]; .Key == $t.Key and .Value == $t.Value) | not) | .Key] | join(", ")')
  if [ -n "$missing" ]; then
    write_ "$service" tag-resource --resource-arn "$arn" --tags "$IAM_TAGS"
    did "tags: set $missing" "set the tags $missing"
  fi
}
# An alarm as DescribeAlarms gives it, in the shape of its definition: only
# the definition's keys, CloudWatch's defaults where it leaves one out, the
# metric-math queries by Id (their order means nothing).
# shellcheck disable=SC2016,SC2034
JQ_ALARM_DEFINITION='$want[0] as $w | .MetricAlarms[0]
| .DatapointsToAlarm //= .EvaluationPeriods
| .TreatMissingData //= "missing"
| if (.Metrics // []) != [] then .Metrics |= (map({Id, Expression, Label,
    MetricStat: (.MetricStat | if . == null then null else {Metric: {Namespace: .Metric.Namespace,
      MetricName: .Metric.MetricName, Dimensions: (.Metric.Dimensions // [])}, Period, Stat} end),
    ReturnData: (if .ReturnData == null then true else .ReturnData end)}
  | with_entries(select(.value != null))) | sort_by(.Id)) else . end
| with_entries(select(.key as $k | $w | has($k)))'
# put_alarm NAME FILE: makes the alarm from its definition (with the stack's
# tags), or brings the stack's alarm to it after a backup.
put_alarm() {
  local name=$1 want=$2 arn
  step "CloudWatch alarm $name"
  aws_ cloudwatch describe-alarms --alarm-names "$name" --alarm-types MetricAlarm >"$WORK/alarm-now.json"
  arn=$(jq -r '.MetricAlarms[0].AlarmArn // empty' "$WORK/alarm-now.json")
  if [ -z "$arn" ]; then
    write_ cloudwatch put-metric-alarm --cli-input-json "file://$WORK/$want" --tags "$IAM_TAGS"
    did "created" "create it"
    return
  fi
  jq --slurpfile want "$WORK/$want" "$JQ_ALARM_DEFINITION" "$WORK/alarm-now.json" >"$WORK/alarm-have.json"
  if jq -e --slurpfile want "$WORK/$want" '. == $want[0]' "$WORK/alarm-have.json" >/dev/null; then
    say "definition: no change"
  else
    backup "$want" <"$WORK/alarm-have.json"
    write_ cloudwatch put-metric-alarm --cli-input-json "file://$WORK/$want"
    did "definition: updated" "update its definition"
  fi
  tags_in_line cloudwatch "$arn"
}
"#;

/// The stack's alarms of `RETIRED_ALARMS` go; a caller who may not read
/// CloudWatch is told, and nothing stops (a spec without alarms needs no
/// CloudWatch rights).
pub(super) const STEP_RETIRE_ALARMS: &str = r#"
step "CloudWatch alarms of the stack the spec no longer has"
if aws_ cloudwatch describe-alarms --alarm-names "${RETIRED_ALARMS[@]}" --alarm-types MetricAlarm \
  >"$WORK/old-alarms.json" 2>"$WORK/stderr"; then
  jq -r '.MetricAlarms[] | [.AlarmName, .AlarmArn] | @tsv' "$WORK/old-alarms.json" >"$WORK/old-alarms.tsv"
  [ -s "$WORK/old-alarms.tsv" ] || say "none"
  while IFS=$'\t' read -r -u 4 name arn; do
    owner=$(stack_of cloudwatch "$arn")
    if [ "$owner" = "$STACK_NAME" ]; then
      jq --arg n "$name" '.MetricAlarms[] | select(.AlarmName == $n)' "$WORK/old-alarms.json" \
        | backup "alarm-$name.json"
      write_ cloudwatch delete-alarms --alarm-names "$name"
      did "alarm $name: deleted (the spec no longer has it)" "delete alarm $name (the spec no longer has it)"
    else
      say "alarm $name is not this stack's: left as it is"
    fi
  done 4<"$WORK/old-alarms.tsv"
elif grep -q "AccessDenied" "$WORK/stderr"; then
  say "cannot be read (cloudwatch:DescribeAlarms denied): alarms this stack made, if any, stay"
else
  cat "$WORK/stderr" >&2
  exit 1
fi
"#;

/// sluice's alarm topic, when the spec no longer has it: it goes with its
/// subscriptions, its policy backed up, if it is the stack's.
pub(super) const STEP_RETIRE_ALARM_TOPIC: &str = r#"
step "SNS topic $ALARM_TOPIC_NAME of the stack's alarms, which the spec no longer has"
if aws_ sns get-topic-attributes --topic-arn "$ALARM_TOPIC_ARN" >"$WORK/old-topic.json" 2>"$WORK/stderr"; then
  owner=$(stack_of sns "$ALARM_TOPIC_ARN")
  if [ "$owner" = "$STACK_NAME" ]; then
    jq '.Attributes.Policy // "null" | fromjson' "$WORK/old-topic.json" | backup alarm-topic-policy.json
    write_ sns delete-topic --topic-arn "$ALARM_TOPIC_ARN"
    did "deleted with its subscriptions (the spec no longer has it)" "delete it with its subscriptions (the spec no longer has it)"
  else
    say "not this stack's: left as it is"
  fi
else
  unread "" sns:GetTopicAttributes "a topic this stack made"
fi
"#;

pub(super) const STEP_ALARM_TOPIC: &str = r#"
step "SNS topic $ALARM_TOPIC_NAME (the alarms notify it)"
TOPIC_EXISTS=false
if probe "$WORK/alarm-topic.json" aws_ sns get-topic-attributes --topic-arn "$ALARM_TOPIC_ARN"; then
  TOPIC_EXISTS=true
  jq '.Attributes.Policy // "null" | fromjson' "$WORK/alarm-topic.json" >"$WORK/alarm-topic-policy-current.json"
  if jq -e --slurpfile want "$WORK/alarm-topic-policy.json" '. == $want[0]' \
    "$WORK/alarm-topic-policy-current.json" >/dev/null; then
    say "access policy: no change"
  else
    backup alarm-topic-policy.json <"$WORK/alarm-topic-policy-current.json"
    write_ sns set-topic-attributes --topic-arn "$ALARM_TOPIC_ARN" --attribute-name Policy \
      --attribute-value "$(jq -c . "$WORK/alarm-topic-policy.json")"
    did "access policy: updated" "update its access policy"
  fi
  tags_in_line sns "$ALARM_TOPIC_ARN"
else
  jq -c '{Policy: tojson}' "$WORK/alarm-topic-policy.json" >"$WORK/alarm-topic-attributes.json"
  write_ sns create-topic --name "$ALARM_TOPIC_NAME" \
    --attributes "file://$WORK/alarm-topic-attributes.json" --tags "$IAM_TAGS" >/dev/null
  did "created" "create it"
fi
if [ -n "$ALARM_EMAIL" ]; then
  subscribed=false
  if [ "$TOPIC_EXISTS" = true ]; then
    subscribed=$(aws_ sns list-subscriptions-by-topic --topic-arn "$ALARM_TOPIC_ARN" \
      | jq -r --arg e "$ALARM_EMAIL" 'any(.Subscriptions[]?; (.Protocol == "email" or .Protocol == "email-json")
          and ((.Endpoint // "") | ascii_downcase) == ($e | ascii_downcase))')
  fi
  if [ "$subscribed" = true ]; then
    say "e-mail $ALARM_EMAIL: subscribed, no change"
  else
    write_ sns subscribe --topic-arn "$ALARM_TOPIC_ARN" --protocol email \
      --notification-endpoint "$ALARM_EMAIL" >/dev/null
    did "e-mail $ALARM_EMAIL subscribed: AWS mails it a link to confirm before it gets alarms" "subscribe $ALARM_EMAIL (AWS mails it a link to confirm)"
  fi
fi
"#;

pub(super) const PREFLIGHT_NOTIFICATION: &str = r#"
if [ "$BUCKET_EXISTS" = true ]; then
  location=$(aws_ s3api get-bucket-location --bucket "$BUCKET" --query LocationConstraint --output text)
  case "$location" in None | null | "") location=us-east-1 ;; EU) location=eu-west-1 ;; esac
  [ "$location" = "$REGION" ] || die "bucket $BUCKET is in $location, not $REGION: S3 can only notify a queue in the bucket's region"
  read_notification
  recognise_ours
  conflicts=$(jq -r --slurpfile ours "$WORK/notification-entry.json" "$JQ_CONFLICTS" "$WORK/notification-before.json")
  if [ -n "$conflicts" ]; then
    printf 'setup.sh: our notification entry %s overlaps:\n%s\n' "$NOTIFICATION_ID" "$conflicts" >&2
    die "S3 rejects overlapping entries (\"ambiguously defined\"); nothing was changed"
  fi
fi
"#;

pub(super) const STEP_POLICY: &str = r#"
step "IAM policy $POLICY_NAME"
if probe "$WORK/policy.json" aws_ iam get-policy --policy-arn "$POLICY_ARN"; then
  version=$(jq -r .Policy.DefaultVersionId "$WORK/policy.json")
  aws_ iam get-policy-version --policy-arn "$POLICY_ARN" --version-id "$version" \
    --query PolicyVersion.Document >"$WORK/policy-current.json"
  if same "$WORK/policy-current.json" "$WORK/permissions-policy.json"; then
    say "no change"
  else
    backup permissions-policy.json <"$WORK/policy-current.json"
    count=$(aws_ iam list-policy-versions --policy-arn "$POLICY_ARN" --query 'length(Versions)' --output text)
    if [ "$count" -ge 5 ]; then
      oldest=$(aws_ iam list-policy-versions --policy-arn "$POLICY_ARN" \
        --query 'sort_by(Versions[?!IsDefaultVersion], &CreateDate)[0].VersionId' --output text)
      write_ iam delete-policy-version --policy-arn "$POLICY_ARN" --version-id "$oldest"
      did "deleted the oldest policy version $oldest (IAM keeps five)" "delete the oldest policy version $oldest (IAM keeps five)"
    fi
    write_ iam create-policy-version --policy-arn "$POLICY_ARN" \
      --policy-document "file://$WORK/permissions-policy.json" --set-as-default >/dev/null
    did "updated" "update it (a new default version)"
  fi
else
  write_ iam create-policy --policy-name "$POLICY_NAME" \
    --policy-document "file://$WORK/permissions-policy.json" \
    --description "$POLICY_DESCRIPTION" --tags "$IAM_TAGS" >/dev/null
  did "created" "create it"
fi
"#;

pub(super) const STEP_ROLE: &str = r#"
step "IAM role $ROLE_NAME"
if probe "$WORK/role.json" aws_ iam get-role --role-name "$ROLE_NAME"; then
  jq .Role.AssumeRolePolicyDocument "$WORK/role.json" >"$WORK/trust-current.json"
  if same "$WORK/trust-current.json" "$WORK/trust-policy.json"; then
    say "trust policy: no change"
  else
    backup trust-policy.json <"$WORK/trust-current.json"
    write_ iam update-assume-role-policy --role-name "$ROLE_NAME" \
      --policy-document "file://$WORK/trust-policy.json"
    did "trust policy: updated" "update the trust policy"
  fi
else
  write_ iam create-role --role-name "$ROLE_NAME" \
    --assume-role-policy-document "file://$WORK/trust-policy.json" \
    --description "$ROLE_DESCRIPTION" --tags "$IAM_TAGS" >/dev/null
  did "created" "create it"
fi
attach_policy role "$ROLE_NAME"
"#;

pub(super) const STEP_USER: &str = r#"
step "IAM user $USER_NAME"
if probe /dev/null aws_ iam get-user --user-name "$USER_NAME"; then
  say "exists"
else
  write_ iam create-user --user-name "$USER_NAME" --tags "$IAM_TAGS" >/dev/null
  did "created" "create it"
fi
attach_policy user "$USER_NAME"
"#;

/// The stack's role, when the spec no longer has one: its trust policy and
/// attachments backed up, then what IAM wants gone first (attached and
/// inline policies, instance profiles) and the role, as `sluice apply`
/// deletes it; left alone when it is not the stack's.
pub(super) const STEP_RETIRE_ROLE: &str = r#"
step "IAM role $ROLE_NAME, which the spec no longer has"
if owner=$(old_identity role "$ROLE_NAME"); then
  if [ "$owner" = "$STACK_NAME" ]; then
    aws_ iam list-instance-profiles-for-role --role-name "$ROLE_NAME" >"$WORK/old-role-profiles.json"
    jq -n --slurpfile role "$WORK/old-role.json" \
      --slurpfile attached "$WORK/old-role-attached.json" \
      --slurpfile inline "$WORK/old-role-inline.json" \
      '{RoleName: $role[0].Role.RoleName,
        AssumeRolePolicyDocument: $role[0].Role.AssumeRolePolicyDocument,
        AttachedPolicies: [$attached[0].AttachedPolicies[]?.PolicyArn],
        InlinePolicies: [$inline[0].PolicyNames[]?]}' \
      | backup "role-$ROLE_NAME.json"
    jq -r '.AttachedPolicies[]?.PolicyArn' "$WORK/old-role-attached.json" >"$WORK/old-role-attached.txt"
    while IFS= read -r -u 4 arn; do
      write_ iam detach-role-policy --role-name "$ROLE_NAME" --policy-arn "$arn"
    done 4<"$WORK/old-role-attached.txt"
    jq -r '.PolicyNames[]?' "$WORK/old-role-inline.json" >"$WORK/old-role-inline.txt"
    while IFS= read -r -u 4 name; do
      write_ iam delete-role-policy --role-name "$ROLE_NAME" --policy-name "$name"
    done 4<"$WORK/old-role-inline.txt"
    jq -r '.InstanceProfiles[]?.InstanceProfileName' "$WORK/old-role-profiles.json" >"$WORK/old-role-profiles.txt"
    while IFS= read -r -u 4 profile; do
      write_ iam remove-role-from-instance-profile --role-name "$ROLE_NAME" --instance-profile-name "$profile"
    done 4<"$WORK/old-role-profiles.txt"
    write_ iam delete-role --role-name "$ROLE_NAME"
    did "deleted (the spec no longer has it)" "delete it (the spec no longer has it)"
  else
    say "not this stack's: left as it is"
  fi
else
  unread "" iam:GetRole "a role this stack made"
fi
"#;

/// The stack's user, when the spec no longer has one: deleted with its
/// access keys (their ids and its attachments backed up first), as `sluice
/// apply` deletes it; kept when others' policies or groups are on it, and
/// left alone when it is not the stack's.
pub(super) const STEP_RETIRE_USER: &str = r#"
step "IAM user $USER_NAME, which the spec no longer has"
if owner=$(old_identity user "$USER_NAME"); then
  if [ "$owner" = "$STACK_NAME" ]; then
    aws_ iam list-groups-for-user --user-name "$USER_NAME" >"$WORK/old-user-groups.json"
    others=$(jq -rn --arg ours "$POLICY_ARN" \
      --slurpfile attached "$WORK/old-user-attached.json" \
      --slurpfile inline "$WORK/old-user-inline.json" \
      --slurpfile groups "$WORK/old-user-groups.json" \
      '[($attached[0].AttachedPolicies[]? | select(.PolicyArn != $ours) | "policy " + .PolicyArn),
        ($inline[0].PolicyNames[]? | "inline policy " + .),
        ($groups[0].Groups[]? | "group " + .GroupName)] | join(", ")')
    if [ -n "$others" ]; then
      say "kept: it also has $others, which sluice never gives it: someone relies on this user; remove those to let setup.sh delete it"
    else
      aws_ iam list-access-keys --user-name "$USER_NAME" >"$WORK/old-user-keys.json"
      jq -r '.AccessKeyMetadata[]?.AccessKeyId' "$WORK/old-user-keys.json" >"$WORK/old-user-keys.txt"
      jq -n --arg user "$USER_NAME" \
        --slurpfile attached "$WORK/old-user-attached.json" \
        --slurpfile keys "$WORK/old-user-keys.json" \
        '{UserName: $user, AttachedPolicies: [$attached[0].AttachedPolicies[]?.PolicyArn],
          AccessKeys: [$keys[0].AccessKeyMetadata[]?.AccessKeyId]}' \
        | backup "user-$USER_NAME.json"
      keys=0
      while IFS= read -r -u 4 key; do
        write_ iam delete-access-key --user-name "$USER_NAME" --access-key-id "$key"
        keys=$((keys + 1))
      done 4<"$WORK/old-user-keys.txt"
      if jq -e --arg ours "$POLICY_ARN" 'any(.AttachedPolicies[]?; .PolicyArn == $ours)' \
        "$WORK/old-user-attached.json" >/dev/null; then
        write_ iam detach-user-policy --user-name "$USER_NAME" --policy-arn "$POLICY_ARN"
      fi
      # Its console password, if it has one (IAM keeps a user that has one).
      if ! write_ iam delete-login-profile --user-name "$USER_NAME" 2>"$WORK/stderr"; then
        grep -qE "$NOT_FOUND" "$WORK/stderr" || { cat "$WORK/stderr" >&2; exit 1; }
      fi
      write_ iam delete-user --user-name "$USER_NAME"
      did "deleted with its $keys access key(s) (the spec no longer has it)" \
        "delete it with its $keys access key(s) (the spec no longer has it)"
    fi
  else
    say "not this stack's: left as it is"
  fi
else
  unread "" iam:GetUser "a user this stack made"
fi
"#;

pub(super) const STEP_ACCESS_KEY: &str = r#"
keys=0
if probe "$WORK/keys.json" aws_ iam list-access-keys --user-name "$USER_NAME"; then
  keys=$(jq '.AccessKeyMetadata | length' "$WORK/keys.json")
fi
if [ "$keys" = 0 ] && [ "$DRY_RUN" = true ]; then
  echo "aws iam create-access-key" >>"$WORK/changes"
  say "would create an access key, its secret only in ${SLUICE_OUT_DIR:-.}/${USER_NAME}_accessKeys.csv (mode 0600)"
elif [ "$keys" = 0 ]; then
  key_file="${SLUICE_OUT_DIR:-.}/${USER_NAME}_accessKeys.csv"
  (
    umask 077
    write_ iam create-access-key --user-name "$USER_NAME" \
      --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text |
      awk 'BEGIN { print "Access key ID,Secret access key" } { print $1 "," $2 }' >"$key_file"
  )
  say "access key created; the only copy of its secret is in $key_file (mode 0600)"
else
  say "the user already has $keys access key(s); no new key created"
fi
"#;

pub(super) const STEP_BUCKET_CREATE: &str = r#"
step "S3 bucket $BUCKET"
if [ "$BUCKET_EXISTS" = true ]; then
  say "exists"
else
  create_args=(--bucket "$BUCKET")
  [ "$REGION" = us-east-1 ] || create_args+=(--create-bucket-configuration "LocationConstraint=$REGION")
  # Object Lock is best set at creation (it turns versioning on).
  [ "$OBJECT_LOCK" = true ] && create_args+=(--object-lock-enabled-for-bucket)
  write_ s3api create-bucket "${create_args[@]}" >/dev/null
  write_ s3api put-bucket-tagging --bucket "$BUCKET" --tagging "$S3_TAGS"
  did "created" "create it"
fi
"#;

pub(super) const STEP_BUCKET_SETTINGS: &str = r#"
# bucket_setting LABEL WANT GET QUERY PUT FLAG: puts a bucket setting that differs, after a backup.
bucket_setting() {
  local label=$1 want=$2 get=$3 query=$4 put=$5 flag=$6
  if probe "$WORK/have.json" aws_ s3api "$get" --bucket "$BUCKET" --query "$query"; then
    if same "$WORK/have.json" "$WORK/$want"; then
      say "$label: no change"
      return
    fi
    [ -s "$WORK/have.json" ] && [ "$(cat "$WORK/have.json")" != "{}" ] && backup "bucket-$label.json" <"$WORK/have.json"
  fi
  write_ s3api "$put" --bucket "$BUCKET" "$flag" "file://$WORK/$want"
  did "$label: set" "set $label"
}
bucket_setting public-access-block bucket-public-access-block.json get-public-access-block PublicAccessBlockConfiguration put-public-access-block --public-access-block-configuration
bucket_setting ownership-controls bucket-ownership-controls.json get-bucket-ownership-controls OwnershipControls put-bucket-ownership-controls --ownership-controls
bucket_setting encryption bucket-encryption.json get-bucket-encryption ServerSideEncryptionConfiguration put-bucket-encryption --server-side-encryption-configuration
"#;

pub(super) const STEP_BUCKET_POLICY: &str = r#"
if probe "$WORK/bucket-policy-current.txt" aws_ s3api get-bucket-policy --bucket "$BUCKET" --query Policy --output text; then
  jq . "$WORK/bucket-policy-current.txt" >"$WORK/bucket-policy-current.json"
  jq --slurpfile ours "$WORK/bucket-policy.json" "$JQ_MERGE_STATEMENTS" \
    "$WORK/bucket-policy-current.json" >"$WORK/bucket-policy-merged.json"
  if same "$WORK/bucket-policy-current.json" "$WORK/bucket-policy-merged.json"; then
    say "bucket policy: no change"
  else
    backup bucket-policy.json <"$WORK/bucket-policy-current.json"
    write_ s3api put-bucket-policy --bucket "$BUCKET" --policy "file://$WORK/bucket-policy-merged.json"
    did "bucket policy: our statement merged into the existing policy" "merge our statement into the bucket policy"
  fi
else
  write_ s3api put-bucket-policy --bucket "$BUCKET" --policy "file://$WORK/bucket-policy.json"
  did "bucket policy: set" "set the bucket policy"
fi
"#;

pub(super) const STEP_DLQ: &str = r#"
step "SQS dead-letter queue $DLQ_NAME"
if probe "$WORK/dlq-url.json" aws_ sqs get-queue-url --queue-name "$DLQ_NAME"; then
  DLQ_URL=$(jq -r .QueueUrl "$WORK/dlq-url.json")
  queue_attributes "$DLQ_URL" dlq-attributes.json dlq-attributes.json
else
  DLQ_URL=$(write_ sqs create-queue --queue-name "$DLQ_NAME" --attributes "file://$WORK/dlq-attributes.json" \
    --tags "$SQS_TAGS" --query QueueUrl --output text)
  did "created" "create it"
fi
"#;

pub(super) const STEP_QUEUE_CREATE: &str = r#"
step "SQS queue $QUEUE_NAME"
if probe "$WORK/queue-url.json" aws_ sqs get-queue-url --queue-name "$QUEUE_NAME"; then
  QUEUE_URL=$(jq -r .QueueUrl "$WORK/queue-url.json")
  queue_attributes "$QUEUE_URL" queue-attributes.json queue-attributes.json
else
  QUEUE_URL=$(write_ sqs create-queue --queue-name "$QUEUE_NAME" --attributes "file://$WORK/queue-attributes.json" \
    --tags "$SQS_TAGS" --query QueueUrl --output text)
  did "created" "create it"
fi
"#;

/// The stack's queue once the spec has no dead-letter queue: a redrive
/// policy left from when it had one goes (backed up first; SQS takes an
/// empty one for none), as `sluice apply` takes it off.
pub(super) const STEP_QUEUE_NO_REDRIVE: &str = r#"
if [ -n "${QUEUE_URL:-}" ] && probe "$WORK/redrive.json" aws_ sqs get-queue-attributes \
  --queue-url "$QUEUE_URL" --attribute-names RedrivePolicy \
  && [ -s "$WORK/redrive.json" ] \
  && jq -e '(.Attributes.RedrivePolicy // "" | fromjson? // {}) | .deadLetterTargetArn? // empty' \
    "$WORK/redrive.json" >/dev/null; then
  jq '.Attributes' "$WORK/redrive.json" | backup queue-redrive-policy.json
  write_ sqs set-queue-attributes --queue-url "$QUEUE_URL" --attributes '{"RedrivePolicy":""}'
  did "redrive policy removed (the spec has no dead-letter queue)" \
    "remove its redrive policy (the spec has no dead-letter queue)"
  REDRIVE_TAKEN_OFF=true
fi
"#;

/// The dead-letter queue the spec turned off, when it is the stack's (its
/// tag), empty, and no other queue sends its failed messages there: its
/// attributes backed up, then deleted, as `sluice apply` retires it. One holding messages is left, saying so: apply backs the
/// messages up before it deletes the queue, which a script cannot do
/// safely (a message read is in flight, and its receive count spent). In
/// the run that took the queue's redrive policy off it is left for the next
/// run: SQS's message counts are approximate and lag by up to a minute, so a
/// message moved to it just before could read as none.
pub(super) const STEP_RETIRE_DLQ: &str = r#"
step "SQS dead-letter queue $DLQ_NAME, which the spec no longer has"
if aws_ sqs get-queue-url --queue-name "$DLQ_NAME" >"$WORK/old-dlq.json" 2>"$WORK/stderr"; then
  OLD_DLQ_URL=$(jq -r .QueueUrl "$WORK/old-dlq.json")
  owner=$(aws_ sqs list-queue-tags --queue-url "$OLD_DLQ_URL" | jq -r '.Tags["sluice:stack"] // empty')
  if [ "$owner" = "$STACK_NAME" ] && [ "${REDRIVE_TAKEN_OFF:-false}" = true ]; then
    say "left until the next run: the redrive policy naming it went in this run, and SQS's message counts lag by up to a minute; run setup.sh again to delete it when empty"
  elif [ "$owner" = "$STACK_NAME" ]; then
    aws_ sqs list-dead-letter-source-queues --queue-url "$OLD_DLQ_URL" >"$WORK/dlq-users.json"
    users=$(jq -r --arg ours "${QUEUE_URL:-}" \
      '[.queueUrls[]? | select(. != $ours) | split("/") | last] | join(", ")' "$WORK/dlq-users.json")
    aws_ sqs get-queue-attributes --queue-url "$OLD_DLQ_URL" --attribute-names All >"$WORK/old-dlq-attributes.json"
    held=$(jq -r '.Attributes | [.ApproximateNumberOfMessages, .ApproximateNumberOfMessagesNotVisible,
      .ApproximateNumberOfMessagesDelayed] | map(tonumber? // 0) | add' "$WORK/old-dlq-attributes.json")
    if [ -n "$users" ]; then
      say "the dead-letter queue of $users, not this stack's: left as it is (their failed messages would have nowhere to go)"
    elif [ "$held" -gt 0 ]; then
      say "holds $held message(s): left as it is (sluice apply backs its messages up before deleting it; or read them, then delete it)"
    else
      jq '.Attributes' "$WORK/old-dlq-attributes.json" | backup dead-letter-queue-attributes.json
      write_ sqs delete-queue --queue-url "$OLD_DLQ_URL"
      did "deleted (empty; the spec no longer has it)" "delete it (empty; the spec no longer has it)"
    fi
  else
    say "not this stack's: left as it is"
  fi
else
  unread "" sqs:GetQueueUrl "a dead-letter queue this stack made"
fi
"#;

pub(super) const STEP_QUEUE_ADOPT: &str = r#"
step "SQS queue $QUEUE_NAME (adopted: only its access policy is managed)"
probe "$WORK/queue-url.json" aws_ sqs get-queue-url --queue-name "$QUEUE_NAME" \
  || die "queue $QUEUE_NAME does not exist; the spec adopts an existing queue (queue.create is false)"
QUEUE_URL=$(jq -r .QueueUrl "$WORK/queue-url.json")
aws_ sqs get-queue-attributes --queue-url "$QUEUE_URL" --attribute-names Policy \
  --query Attributes.Policy --output text >"$WORK/queue-policy-current.txt"
if [ "$(cat "$WORK/queue-policy-current.txt")" = None ] || [ ! -s "$WORK/queue-policy-current.txt" ]; then
  cp "$WORK/queue-policy.json" "$WORK/queue-policy-merged.json"
else
  jq . "$WORK/queue-policy-current.txt" >"$WORK/queue-policy-current.json"
  jq --slurpfile ours "$WORK/queue-policy.json" "$JQ_MERGE_STATEMENTS" \
    "$WORK/queue-policy-current.json" >"$WORK/queue-policy-merged.json"
fi
if [ -f "$WORK/queue-policy-current.json" ] && same "$WORK/queue-policy-current.json" "$WORK/queue-policy-merged.json"; then
  say "access policy: no change"
else
  [ -f "$WORK/queue-policy-current.json" ] && backup queue-policy.json <"$WORK/queue-policy-current.json"
  jq -n --arg policy "$(jq -c . "$WORK/queue-policy-merged.json")" '{Policy: $policy}' >"$WORK/queue-set.json"
  write_ sqs set-queue-attributes --queue-url "$QUEUE_URL" --attributes "file://$WORK/queue-set.json"
  did "access policy: our statement merged" "merge our statement into its access policy"
fi
"#;

pub(super) const PREFLIGHT_TOPIC: &str = r#"
# The bucket must already publish our events and keys to the topic.
if [ "$BUCKET_EXISTS" = true ]; then
  read_notification
  covering=$(jq -r --arg topic "$TOPIC_ARN" --arg prefix "$PREFIX" --arg suffix "$SUFFIX" \
    --argjson events "$EVENTS" "$JQ_TOPIC_COVERS" "$WORK/notification-before.json")
  [ -n "$covering" ] || die "the bucket $BUCKET publishes no $EVENTS for keys with prefix '$PREFIX' and suffix '$SUFFIX' to the topic $TOPIC_ARN; its owners add such a topic entry, or the spec uses notification.delivery eventbridge; nothing was changed"
  say "the bucket publishes our events to $TOPIC_ARN (entry $covering)"
else
  die "bucket $BUCKET does not exist: notification.delivery sns needs a bucket that already publishes to $TOPIC_ARN"
fi
"#;

pub(super) const STEP_SUBSCRIPTION: &str = r#"
step "Subscription of queue $QUEUE_NAME to $TOPIC_ARN"
QUEUE_ARN="arn:$PARTITION:sqs:$REGION:$ACCOUNT_ID:$QUEUE_NAME"
sub=$(aws_ sns list-subscriptions-by-topic --topic-arn "$TOPIC_ARN" --output json \
  | jq -r --arg q "$QUEUE_ARN" '[.Subscriptions[]? | select(.Protocol == "sqs" and .Endpoint == $q and (.SubscriptionArn | startswith("arn:")))][0].SubscriptionArn // empty')
if [ -z "$sub" ]; then
  write_ sns subscribe --topic-arn "$TOPIC_ARN" --protocol sqs --notification-endpoint "$QUEUE_ARN" \
    --attributes "file://$WORK/subscription-attributes.json" --return-subscription-arn >/dev/null
  did "subscribed (the topic's policy and other subscriptions unchanged)" "subscribe the queue (the topic's policy and other subscriptions unchanged)"
else
  aws_ sns get-subscription-attributes --subscription-arn "$sub" >"$WORK/have.json"
  changed=$(jq -r --slurpfile want "$WORK/subscription-attributes.json" "$JQ_CHANGED_ATTRIBUTES" "$WORK/have.json")
  # A filter the spec no longer wants is removed (an empty policy).
  if jq -e --slurpfile want "$WORK/subscription-attributes.json" \
    '($want[0] | has("FilterPolicy") | not) and ((.Attributes.FilterPolicy // "") != "")' \
    "$WORK/have.json" >/dev/null; then
    jq '. + {FilterPolicy: ""}' "$WORK/subscription-attributes.json" >"$WORK/subscription-set.json"
    mv "$WORK/subscription-set.json" "$WORK/subscription-attributes.json"
    changed="${changed:+$changed, }FilterPolicy"
  fi
  if [ -z "$changed" ]; then
    say "no change"
  else
    jq '.Attributes // {}' "$WORK/have.json" | backup subscription-attributes.json
    # The scope first: a message-body filter is refused under the attribute scope.
    for name in FilterPolicyScope FilterPolicy RawMessageDelivery; do
      jq -e --arg n "$name" 'has($n)' "$WORK/subscription-attributes.json" >/dev/null || continue
      value=$(jq -r --arg n "$name" '.[$n]' "$WORK/subscription-attributes.json")
      write_ sns set-subscription-attributes --subscription-arn "$sub" \
        --attribute-name "$name" --attribute-value "$value"
    done
    did "updated: $changed" "update: $changed"
  fi
fi
"#;

/// A route switched away from SNS, or to another topic: the stack's queue,
/// still subscribed to a topic the spec does not deliver through
/// ($KEEP_TOPIC is the one it names, if any), would get that topic's
/// messages among the pipeline's records. Each such subscription goes, its
/// attributes backed up first (one whose attributes cannot be read stays);
/// the topics and their other subscriptions are left as they are (as
/// `sluice apply` does).
pub(super) const STEP_RETIRE_SUBSCRIPTION: &str = r#"
step "Subscriptions of queue $QUEUE_NAME to topics the spec does not deliver through"
QUEUE_ARN="arn:$PARTITION:sqs:$REGION:$ACCOUNT_ID:$QUEUE_NAME"
if aws_ sns list-subscriptions --output json >"$WORK/subscriptions.json" 2>"$WORK/stderr"; then
  jq -r --arg q "$QUEUE_ARN" --arg keep "$KEEP_TOPIC" \
    '.Subscriptions[]? | select(.Protocol == "sqs" and .Endpoint == $q and (.TopicArn // "") != $keep and ((.SubscriptionArn // "") | startswith("arn:"))) | .SubscriptionArn' \
    "$WORK/subscriptions.json" >"$WORK/old-subscriptions.txt"
  [ -s "$WORK/old-subscriptions.txt" ] || say "none"
  while read -r sub; do
    if ! aws_ sns get-subscription-attributes --subscription-arn "$sub" --output json \
      >"$WORK/old-subscription.json" 2>"$WORK/stderr" </dev/null; then
      if grep -qE "$NOT_FOUND" "$WORK/stderr"; then
        say "${sub%:*}: already unsubscribed"
        continue
      fi
      say "${sub%:*}: its attributes cannot be read, so it is not backed up and stays: $(head -c 300 "$WORK/stderr")"
      continue
    fi
    jq '.Attributes // {}' "$WORK/old-subscription.json" | backup "subscription-${sub##*:}.json"
    write_ sns unsubscribe --subscription-arn "$sub" </dev/null
    did "unsubscribed from ${sub%:*} (the topic and its other subscriptions unchanged)" \
      "unsubscribe the queue from ${sub%:*} (the topic and its other subscriptions unchanged)"
  done <"$WORK/old-subscriptions.txt"
elif grep -qE "AuthorizationError|AccessDenied" "$WORK/stderr"; then
  say "subscriptions cannot be listed (sns:ListSubscriptions denied): a subscription of the queue to a topic the spec does not deliver through, if any, stays"
else
  cat "$WORK/stderr" >&2
  exit 1
fi
"#;

pub(super) const STEP_RETIRE_DIRECT: &str = r#"
# Our entry from an earlier direct delivery goes: the subscription replaces it.
read_notification
without_ours "$WORK/notification-before.json" "$WORK/notification-rest.json"
if ! same "$WORK/notification-before.json" "$WORK/notification-rest.json"; then
  # Entries of others are put back as they are, even ones whose destination is gone.
  write_notification "$WORK/notification-rest.json" --skip-destination-validation
  did "removed our entry $NOTIFICATION_ID of direct delivery (entries of others kept)" "remove our entry $NOTIFICATION_ID of direct delivery (entries of others kept)"
fi
"#;

pub(super) const STEP_EVENTBRIDGE_SETTING: &str = r#"
step "EventBridge delivery of bucket $BUCKET"
read_notification
# Our entry from an earlier direct delivery goes with the switch.
without_ours "$WORK/notification-before.json" "$WORK/notification-rest.json"
jq '. + {EventBridgeConfiguration: {}}' "$WORK/notification-rest.json" >"$WORK/notification-merged.json"
if same "$WORK/notification-before.json" "$WORK/notification-merged.json"; then
  say "already on"
else
  write_notification "$WORK/notification-merged.json"
  if [ "$DRY_RUN" = false ]; then
    aws_ s3api get-bucket-notification-configuration --bucket "$BUCKET" >"$WORK/notification-after.json"
    jq -S 'del(.EventBridgeConfiguration)' "$WORK/notification-rest.json" >"$WORK/foreign-before.json"
    jq -S 'del(.EventBridgeConfiguration)' "$WORK/notification-after.json" >"$WORK/foreign-after.json"
    same "$WORK/foreign-before.json" "$WORK/foreign-after.json" \
      || die "other entries changed while EventBridge delivery was turned on: compare with the backup in $BACKUP_DIR"
  fi
  did "turned on (entries of others kept)" "turn it on (entries of others kept)"
fi
"#;

pub(super) const PREFLIGHT_RULE: &str = r#"
# A rule of that name must be this stack's: by its tag, or (CloudFormation's
# rule takes no tags) by the description every path writes.
RULE_EXISTS=false
RULE_UNTAGGED=false
if probe "$WORK/rule.json" aws_ events describe-rule --name "$RULE_NAME"; then
  RULE_EXISTS=true
  owner=$(stack_of events "$(jq -r .Arn "$WORK/rule.json")")
  if [ -z "$owner" ] && [ "$(jq -r '.Description // ""' "$WORK/rule.json")" = "$RULE_DESCRIPTION" ]; then
    RULE_UNTAGGED=true
  elif [ "$owner" != "$STACK_NAME" ]; then
    die "an EventBridge rule $RULE_NAME exists and is not this stack's: choose another notification.id, which names the rule; nothing was changed"
  fi
fi
"#;

pub(super) const STEP_RULE: &str = r#"
step "EventBridge rule $RULE_NAME -> $QUEUE_NAME"
QUEUE_ARN="arn:$PARTITION:sqs:$REGION:$ACCOUNT_ID:$QUEUE_NAME"
if [ "$RULE_EXISTS" = true ]; then
  if [ "$RULE_UNTAGGED" = true ]; then
    write_ events tag-resource --resource-arn "$(jq -r .Arn "$WORK/rule.json")" --tags "$IAM_TAGS"
    did "rule: adopted (ours by its description): tagged sluice:stack=$STACK_NAME" "adopt the rule (ours by its description): tag it sluice:stack=$STACK_NAME"
  fi
  jq -S '.EventPattern | fromjson' "$WORK/rule.json" >"$WORK/pattern-current.json"
  jq -S . "$WORK/event-pattern.json" >"$WORK/pattern-wanted.json"
  if same "$WORK/pattern-current.json" "$WORK/pattern-wanted.json" \
    && [ "$(jq -r .State "$WORK/rule.json")" = ENABLED ] \
    && [ "$(jq -r '.Description // ""' "$WORK/rule.json")" = "$RULE_DESCRIPTION" ]; then
    say "rule: no change"
  else
    backup "rule-$RULE_NAME.json" <"$WORK/rule.json"
    write_ events put-rule --name "$RULE_NAME" --event-pattern "file://$WORK/event-pattern.json" \
      --state ENABLED --description "$RULE_DESCRIPTION" >/dev/null
    did "rule: updated" "update the rule"
  fi
else
  write_ events put-rule --name "$RULE_NAME" --event-pattern "file://$WORK/event-pattern.json" \
    --state ENABLED --description "$RULE_DESCRIPTION" --tags "$IAM_TAGS" >/dev/null
  did "rule: created" "create the rule"
fi
target=
if probe "$WORK/targets-now.json" aws_ events list-targets-by-rule --rule "$RULE_NAME"; then
  target=$(jq -r --arg id "$TARGET_ID" '[.Targets[]? | select(.Id == $id) | .Arn][0] // empty' "$WORK/targets-now.json")
fi
if [ "$target" = "$QUEUE_ARN" ]; then
  say "target: no change"
else
  jq -n --arg id "$TARGET_ID" --arg arn "$QUEUE_ARN" '[{Id: $id, Arn: $arn}]' >"$WORK/targets.json"
  failed=$(write_ events put-targets --rule "$RULE_NAME" --targets "file://$WORK/targets.json" \
    --query FailedEntryCount --output text)
  [ "$DRY_RUN" = true ] || [ "$failed" = 0 ] || die "EventBridge refused the queue as the rule's target"
  did "target: the queue (targets of others kept)" "make the queue the rule's target (targets of others kept)"
fi
"#;

/// A route switched away from EventBridge: the stack's rule, left in place,
/// would deliver every event a second time. Ours (its tag, or CloudFormation's
/// description) loses our target, and the rule goes when no other target is
/// on it; the bucket's EventBridge delivery stays (other rules may use it).
pub(super) const STEP_RETIRE_RULE: &str = r#"
step "EventBridge rule $RULE_NAME from an earlier EventBridge delivery"
if aws_ events describe-rule --name "$RULE_NAME" >"$WORK/old-rule.json" 2>"$WORK/stderr"; then
  owner=$(stack_of events "$(jq -r .Arn "$WORK/old-rule.json")")
  if [ "$owner" = "$STACK_NAME" ] \
    || { [ -z "$owner" ] && [ "$(jq -r '.Description // ""' "$WORK/old-rule.json")" = "$RULE_DESCRIPTION" ]; }; then
    backup "rule-$RULE_NAME.json" <"$WORK/old-rule.json"
    aws_ events list-targets-by-rule --rule "$RULE_NAME" --output json >"$WORK/old-targets.json"
    if jq -e --arg id "$TARGET_ID" 'any(.Targets[]?; .Id == $id)' "$WORK/old-targets.json" >/dev/null; then
      write_ events remove-targets --rule "$RULE_NAME" --ids "$TARGET_ID" >/dev/null
      did "rule: our target removed" "remove our target from the rule"
    fi
    others=$(jq --arg id "$TARGET_ID" '[.Targets[]? | select(.Id != $id)] | length' "$WORK/old-targets.json")
    if [ "$others" = 0 ]; then
      write_ events delete-rule --name "$RULE_NAME"
      did "rule: deleted (it would deliver every event a second time)" "delete the rule (it would deliver every event a second time)"
    else
      say "rule: kept, $others target(s) of others are on it"
    fi
    say "the bucket's EventBridge delivery stays on (other rules may use it; sluice apply turns it off when none does)"
  else
    say "rule: $RULE_NAME is not this stack's: left as it is"
  fi
else
  unread "rule: " events:DescribeRule "a rule this stack made for EventBridge delivery"
fi
"#;

pub(super) const STEP_NOTIFICATION: &str = r#"
step "Bucket notification $NOTIFICATION_ID -> $NOTIFIED_QUEUE"
read_notification
recognise_ours
conflicts=$(jq -r --slurpfile ours "$WORK/notification-entry.json" "$JQ_CONFLICTS" "$WORK/notification-before.json")
[ -z "$conflicts" ] || die "our notification entry overlaps $conflicts; nothing was written to the bucket"
jq --slurpfile ours "$WORK/notification-entry.json" "$JQ_MERGE_NOTIFICATION" \
  "$WORK/notification-before.json" >"$WORK/notification-merged.json"
if same "$WORK/notification-before.json" "$WORK/notification-merged.json"; then
  say "no change"
else
  write_notification "$WORK/notification-merged.json"
  if [ "$DRY_RUN" = false ]; then
    aws_ s3api get-bucket-notification-configuration --bucket "$BUCKET" >"$WORK/notification-after.json"
    jq -e --arg id "$NOTIFICATION_ID" 'any(.QueueConfigurations[]?; .Id == $id)' \
      "$WORK/notification-after.json" >/dev/null || die "our entry is missing after the write: did someone else change the configuration at the same time?"
    jq --arg id "$NOTIFICATION_ID" "$JQ_FOREIGN_ENTRIES" "$WORK/notification-before.json" >"$WORK/foreign-before.json"
    jq --arg id "$NOTIFICATION_ID" "$JQ_FOREIGN_ENTRIES" "$WORK/notification-after.json" >"$WORK/foreign-after.json"
    same "$WORK/foreign-before.json" "$WORK/foreign-after.json" \
      || die "other entries changed while we wrote ours: someone else wrote the configuration at the same time; compare with the backup in $BACKUP_DIR"
  fi
  did "merged (entries of others kept)" "merge our entry (entries of others kept)"
fi
"#;
