#!/usr/bin/env python3
"""Checks the rules infra/template.yaml keeps, beyond what cfn-lint and `sam validate` know.

    python3 infra/check-template.py [TEMPLATE]        # default: infra/template.yaml

Prints one line per broken rule and exits 1, or says how many rules held and exits 0. The
rules (docs/OPERATIONS.md explains why each exists):

  visibility     every queue an SQS event source mapping reads has VisibilityTimeout >= 6 x the
                 function's Timeout (+ MaximumBatchingWindowInSeconds)
  redrive        ... and a RedrivePolicy to a dead-letter queue
  lease          a queue consumer's claim lease (its GENOFLOW_*_LEASE_SECONDS) is longer than its
                 Timeout and shorter than the visibility timeout of each queue it reads (a
                 redelivery finds the lease expired), and every function given the same lease
                 variable (the sweeper) gets the same value
  max-receives   GENOFLOW_MAX_RECEIVE_COUNT equals the maxReceiveCount of each queue it reads
  concurrency    no ReservedConcurrentExecutions on a function an SQS queue triggers; every SQS
                 event source mapping has ScalingConfig.MaximumConcurrency
  dlq-alarm      every dead-letter queue (a RedrivePolicy target, an on-failure destination, a
                 schedule's DeadLetterConfig) has an alarm on ApproximateNumberOfMessagesVisible
  queue-age      every queue an event source mapping reads has an alarm on
                 ApproximateAgeOfOldestMessage
  function-alarm every function has an alarm on its Errors and one on its Throttles
  api-alarm      every HTTP API has an alarm on its 5xx
  alarm-action   every alarm notifies (AlarmActions is not empty)
  log-retention  every function logs to a log group of this template with RetentionInDays
                 (LoggingConfig.LogGroup, or a group named /aws/lambda/${Function})
  schedule-name  every schedule (ScheduleV2 / Schedule event, AWS::Scheduler::Schedule) has a
                 Name that contains ${AWS::StackName}
  required-setting  a setting a function cannot start without (REQUIRED_SETTINGS) never comes
                 from a parameter whose default is empty, unless the function has a Condition
                 (the feature is left out of the stack rather than failing at every cold start)

The template is read as YAML with CloudFormation's short tags (!Ref, !GetAtt, !Sub, ...) turned
into their long form, or as JSON. Only PyYAML is needed (cfn-lint's virtualenv has it).
"""

import sys
from pathlib import Path

import yaml

SQS_EVENT = "SQS"
MAX_RECEIVES = "GENOFLOW_MAX_RECEIVE_COUNT"
SCHEDULE_EVENTS = ("ScheduleV2", "Schedule")
FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
# Variables whose absence stops a function's cold start (functions/{anchor,oracle}/src/main.rs):
# a function that has the first (its signing key) cannot start without any of them. (The api
# function also reads GENOFLOW_REGISTRY_CONTRACT, but starts without it: no chain reads.)
REQUIRED_SETTINGS = (
    ("GENOFLOW_SIGNER_KEY_SECRET_ARN", "GENOFLOW_REGISTRY_CONTRACT"),
    ("GENOFLOW_ORACLE_KEY_SECRET_ARN", "GENOFLOW_ORACLE_CONTRACT"),
)


class _Loader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags."""


def _intrinsic(loader, suffix, node):
    """`!Ref X` -> {"Ref": X}, `!GetAtt A.B` -> {"Fn::GetAtt": [A, B]}, `!Sub s` -> {"Fn::Sub": s}, ..."""
    name = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_Loader.add_multi_constructor("!", _intrinsic)


def load(path):
    """The template as plain data (long-form intrinsics); JSON is YAML too."""
    return yaml.load(Path(path).read_text(), Loader=_Loader)


def ref_target(value):
    """The logical id a !Ref / !GetAtt X.Arn / !GetAtt X.QueueName points at, else None."""
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return target[0] if isinstance(target, list) else str(target).split(".", 1)[0]
    return None


def sub_text(value):
    """The text of a string or a !Sub (its template string), else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return sub if isinstance(sub, str) else sub[0]
    return None


def number(value, parameters):
    """A number, or a !Ref to a Number parameter's default; None when unknown."""
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    target = ref_target(value)
    if target in parameters and "Default" in parameters[target]:
        return number(parameters[target]["Default"], parameters)
    return None


def check(template):
    """The broken rules, one message each, and how many checks held."""
    resources = template.get("Resources", {})
    parameters = template.get("Parameters", {})
    globals_function = template.get("Globals", {}).get("Function", {})
    problems = []
    held = 0

    def ok(condition, message):
        nonlocal held
        if condition:
            held += 1
        else:
            problems.append(message)

    def of_type(*types):
        return {name: r for name, r in resources.items() if r.get("Type") in types}

    functions = of_type(*FUNCTION_TYPES)
    queues = of_type("AWS::SQS::Queue")
    alarms = of_type("AWS::CloudWatch::Alarm")
    log_groups = of_type("AWS::Logs::LogGroup")

    def prop(function, name, default=None):
        props = function.get("Properties", {})
        if name in props:
            return props[name]
        if function.get("Type") == "AWS::Serverless::Function":
            return globals_function.get(name, default)
        return default

    def env(function):
        """Globals' variables overridden by the function's (SAM merges them)."""
        variables = dict((globals_function.get("Environment") or {}).get("Variables", {}))
        own = function.get("Properties", {}).get("Environment") or {}
        variables.update(own.get("Variables", {}))
        return variables

    # Event source mappings: (function, queue, mapping properties).
    mappings = []
    for name, function in functions.items():
        for event in (prop(function, "Events", {}) or {}).values():
            if event.get("Type") == SQS_EVENT:
                mappings.append((name, ref_target(event["Properties"].get("Queue")), event["Properties"]))
    for mapping in of_type("AWS::Lambda::EventSourceMapping").values():
        props = mapping.get("Properties", {})
        mappings.append((ref_target(props.get("FunctionName")), ref_target(props.get("EventSourceArn")), props))

    def alarm_on(metric, dimension, target):
        for alarm in alarms.values():
            props = alarm.get("Properties", {})
            if props.get("MetricName") != metric:
                continue
            for entry in props.get("Dimensions", []):
                if entry.get("Name") == dimension and ref_target(entry.get("Value")) == target:
                    return True
        return False

    triggered = set()
    for function_name, queue_name, props in mappings:
        triggered.add(function_name)
        function = functions.get(function_name, {})
        queue = queues.get(queue_name)
        where = f"{function_name} <- {queue_name}"
        ok(queue is not None, f"visibility: {where}: the event source mapping's queue is not an AWS::SQS::Queue of this template")
        if queue is None:
            continue
        queue_props = queue.get("Properties", {})
        timeout = number(prop(function, "Timeout", 3), parameters) or 3
        window = number(props.get("MaximumBatchingWindowInSeconds", 0), parameters) or 0
        visibility = number(queue_props.get("VisibilityTimeout", 30), parameters)
        needed = 6 * timeout + window
        ok(
            visibility is not None and visibility >= needed,
            f"visibility: {where}: VisibilityTimeout {visibility} < 6 x Timeout {timeout:g}"
            + (f" + batching window {window:g}" if window else "")
            + f" = {needed:g}",
        )
        redrive = queue_props.get("RedrivePolicy") or {}
        ok(bool(redrive.get("deadLetterTargetArn")), f"redrive: {queue_name} has no RedrivePolicy to a dead-letter queue")
        ok(
            (props.get("ScalingConfig") or {}).get("MaximumConcurrency") is not None,
            f"concurrency: {where}: no ScalingConfig.MaximumConcurrency (the limit of an SQS-triggered function)",
        )
        ok(alarm_on("ApproximateAgeOfOldestMessage", "QueueName", queue_name), f"queue-age: {queue_name} has no ApproximateAgeOfOldestMessage alarm")
        variables = env(function)
        for name, value in sorted(variables.items()):
            if not (name.startswith("GENOFLOW_") and name.endswith("_LEASE_SECONDS")):
                continue
            lease = number(value, parameters)
            ok(lease is not None and lease > timeout, f"lease: {function_name}: {name} {lease} is not longer than its Timeout {timeout:g}")
            ok(
                lease is not None and visibility is not None and lease < visibility,
                f"lease: {where}: {name} {lease} is not shorter than the VisibilityTimeout {visibility} (a redelivery would land inside a live lease)",
            )
        if MAX_RECEIVES in variables:
            ok(
                str(variables[MAX_RECEIVES]) == str(redrive.get("maxReceiveCount")),
                f"max-receives: {where}: {MAX_RECEIVES} {variables[MAX_RECEIVES]} != maxReceiveCount {redrive.get('maxReceiveCount')}",
            )

    # One lease, one value: the sweeper must judge a claim by the lease its consumer holds.
    lease_values = {}
    for name, function in sorted(functions.items()):
        for variable, value in env(function).items():
            if variable.startswith("GENOFLOW_") and variable.endswith("_LEASE_SECONDS"):
                lease_values.setdefault(variable, {})[name] = str(value)
    for variable, values in sorted(lease_values.items()):
        ok(
            len(set(values.values())) == 1,
            f"lease: {variable} differs between functions: {values}",
        )

    for name in sorted(triggered):
        function = functions.get(name, {})
        ok(
            "ReservedConcurrentExecutions" not in function.get("Properties", {}),
            f"concurrency: {name} reserves concurrency although an SQS queue triggers it (use the event source mapping's MaximumConcurrency)",
        )

    # Dead-letter queues: redrive targets, on-failure destinations, schedule DLQs.
    dead_letters = set()
    for queue in queues.values():
        target = ref_target((queue.get("Properties", {}).get("RedrivePolicy") or {}).get("deadLetterTargetArn"))
        if target:
            dead_letters.add(target)
    schedules = []
    for name, function in functions.items():
        invoke = prop(function, "EventInvokeConfig", {}) or {}
        on_failure = (invoke.get("DestinationConfig") or {}).get("OnFailure") or {}
        if on_failure.get("Type") == "SQS" and ref_target(on_failure.get("Destination")):
            dead_letters.add(ref_target(on_failure.get("Destination")))
        for event_name, event in (prop(function, "Events", {}) or {}).items():
            if event.get("Type") in SCHEDULE_EVENTS:
                schedules.append((f"{name}.{event_name}", event.get("Properties", {})))
        dlq = prop(function, "DeadLetterQueue") or {}
        if ref_target(dlq.get("TargetArn")):
            dead_letters.add(ref_target(dlq.get("TargetArn")))
    for name, schedule in of_type("AWS::Scheduler::Schedule").items():
        schedules.append((name, schedule.get("Properties", {})))
    for where, props in schedules:
        dlq = props.get("DeadLetterConfig") or (props.get("Target") or {}).get("DeadLetterConfig") or {}
        if ref_target(dlq.get("Arn")):
            dead_letters.add(ref_target(dlq.get("Arn")))
        text = sub_text(props.get("Name"))
        ok(
            text is not None and "${AWS::StackName}" in text,
            f"schedule-name: {where}: its Name {props.get('Name')!r} does not include ${{AWS::StackName}} (two stacks in one account would collide)",
        )
    for queue_name in sorted(dead_letters):
        ok(
            alarm_on("ApproximateNumberOfMessagesVisible", "QueueName", queue_name),
            f"dlq-alarm: dead-letter queue {queue_name} has no ApproximateNumberOfMessagesVisible alarm",
        )

    for name, function in sorted(functions.items()):
        ok(alarm_on("Errors", "FunctionName", name), f"function-alarm: {name} has no Errors alarm")
        ok(alarm_on("Throttles", "FunctionName", name), f"function-alarm: {name} has no Throttles alarm")
        group = ref_target((prop(function, "LoggingConfig", {}) or {}).get("LogGroup"))
        if group is None:
            for group_name, candidate in log_groups.items():
                text = sub_text(candidate.get("Properties", {}).get("LogGroupName"))
                if text is not None and text == f"/aws/lambda/${{{name}}}":
                    group = group_name
        retention = log_groups.get(group, {}).get("Properties", {}).get("RetentionInDays") if group else None
        ok(
            retention is not None,
            f"log-retention: {name} has no log group with RetentionInDays (set LoggingConfig.LogGroup to one)",
        )

    for name, function in sorted(functions.items()):
        if function.get("Condition"):
            continue
        variables = env(function)
        required = [name for group in REQUIRED_SETTINGS if group[0] in variables for name in group]
        for setting in required:
            parameter = ref_target(variables.get(setting))
            if parameter in parameters:
                ok(
                    parameters[parameter].get("Default") != "",
                    f"required-setting: {name}: {setting} comes from {parameter}, whose default is empty: every cold start would stop (make {parameter} required, or give {name} a Condition)",
                )

    for name in sorted(of_type("AWS::Serverless::HttpApi", "AWS::ApiGatewayV2::Api")):
        ok(alarm_on("5xx", "ApiId", name), f"api-alarm: {name} has no 5xx alarm")

    for name, alarm in sorted(alarms.items()):
        ok(bool(alarm.get("Properties", {}).get("AlarmActions")), f"alarm-action: {name} notifies no one (AlarmActions is empty)")

    return problems, held


def main(argv):
    path = argv[1] if len(argv) > 1 else str(Path(__file__).with_name("template.yaml"))
    problems, held = check(load(path))
    for problem in problems:
        print(f"{path}: {problem}")
    if problems:
        print(f"{len(problems)} template rule(s) broken, {held} held", file=sys.stderr)
        return 1
    print(f"{path}: {held} template rule checks held")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
