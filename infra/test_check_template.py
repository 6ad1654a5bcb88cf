#!/usr/bin/env python3
"""infra/check-template.py on infra/template.yaml and on copies of it that each break one rule:
the template passes, and every mutated copy fails with that rule's message.

    python3 infra/test_check_template.py        # tests/run-all.sh runs it in the SAM step
"""

import copy
import importlib.util
import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "check-template.py"
TEMPLATE = HERE / "template.yaml"

_spec = importlib.util.spec_from_file_location("check_template", SCRIPT)
check_template = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_template)


def run(template):
    """Runs the script on `template` (written as JSON, which CloudFormation reads too)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(template, file)
    try:
        return subprocess.run(
            [sys.executable, str(SCRIPT), file.name], capture_output=True, text=True, check=False
        )
    finally:
        Path(file.name).unlink()


def resources(template):
    return template["Resources"]


def props(template, name):
    return resources(template)[name]["Properties"]


def event(template, function, name):
    return props(template, function)["Events"][name]["Properties"]


# (rule, what the mutation does, the mutation)
MUTATIONS = [
    ("visibility", "analysis queue visibility = the function timeout (the bug of issue 14)",
     lambda t: props(t, "AnalysisQueue").update(VisibilityTimeout=900)),
    ("visibility", "anchor queue visibility without the batching window",
     lambda t: props(t, "AnchorQueue").update(VisibilityTimeout=720)),
    ("redrive", "validation queue without a dead-letter queue",
     lambda t: props(t, "ValidationQueue").pop("RedrivePolicy")),
    ("lease", "analyze lease as long as the redelivery",
     lambda t: props(t, "AnalyzeFunction")["Environment"]["Variables"].update(GENOFLOW_ANALYSIS_LEASE_SECONDS="5400")),
    ("lease", "validate lease shorter than its run",
     lambda t: props(t, "ValidateFunction")["Environment"]["Variables"].update(GENOFLOW_VALIDATION_LEASE_SECONDS="600")),
    ("lease", "one lease with two values (the sweeper would take over live claims)",
     lambda t: props(t, "ApiFunction")["Environment"]["Variables"].update(GENOFLOW_ANALYSIS_LEASE_SECONDS="1000")),
    ("max-receives", "analysis queue's maxReceiveCount differs from GENOFLOW_MAX_RECEIVE_COUNT",
     lambda t: props(t, "AnalysisQueue")["RedrivePolicy"].update(maxReceiveCount=3)),
    ("concurrency", "reserved concurrency behind SQS",
     lambda t: props(t, "AnchorFunction").update(ReservedConcurrentExecutions=1)),
    ("concurrency", "an SQS event source without MaximumConcurrency",
     lambda t: event(t, "AnalyzeFunction", "AnalysisRequested").pop("ScalingConfig")),
    ("dlq-alarm", "no alarm on the analysis DLQ",
     lambda t: resources(t).pop("AnalysisDeadLetterAlarm")),
    ("dlq-alarm", "no alarm on the schedules' DLQ",
     lambda t: resources(t).pop("ScheduleDeadLetterAlarm")),
    ("queue-age", "no age alarm on the anchor queue",
     lambda t: resources(t).pop("AnchorQueueAgeAlarm")),
    ("function-alarm", "no throttle alarm on api",
     lambda t: resources(t).pop("ApiThrottlesAlarm")),
    ("function-alarm", "no error alarm on validate",
     lambda t: resources(t).pop("ValidateErrorsAlarm")),
    ("api-alarm", "no 5xx alarm",
     lambda t: resources(t).pop("HttpApi5xxAlarm")),
    ("alarm-action", "an alarm that notifies no one",
     lambda t: props(t, "AnalysisQueueAgeAlarm").update(AlarmActions=[])),
    ("log-retention", "a log group without retention",
     lambda t: props(t, "ValidateLogGroup").pop("RetentionInDays")),
    ("log-retention", "a function logging to Lambda's default group",
     lambda t: props(t, "PresignFunction").pop("LoggingConfig")),
    ("schedule-name", "a schedule named without the stack",
     lambda t: event(t, "AnchorFunction", "Confirm").update(Name="anchor-confirm")),
    ("schedule-name", "a schedule without a name (SAM names it after its logical id)",
     lambda t: event(t, "OracleFunction", "ConfirmPending").pop("Name")),
    ("required-setting", "the registry with an empty default",
     lambda t: t["Parameters"]["RegistryContract"].update(Default="")),
    ("required-setting", "the oracle always deployed although its settings default to empty",
     lambda t: resources(t)["OracleFunction"].pop("Condition")),
]


class CheckTemplate(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.template = check_template.load(TEMPLATE)

    def test_the_template_keeps_every_rule(self):
        result = subprocess.run(
            [sys.executable, str(SCRIPT), str(TEMPLATE)], capture_output=True, text=True, check=False
        )
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("template rule checks held", result.stdout)

    def test_the_json_copy_passes_too(self):
        result = run(copy.deepcopy(self.template))
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_each_broken_rule_fails_with_its_name(self):
        rules = set()
        for rule, what, mutate in MUTATIONS:
            with self.subTest(rule=rule, mutation=what):
                template = copy.deepcopy(self.template)
                mutate(template)
                result = run(template)
                self.assertEqual(result.returncode, 1, f"{what}: {result.stdout}{result.stderr}")
                self.assertIn(f": {rule}: ", result.stdout, f"{what}: {result.stdout}")
                rules.add(rule)
        # Every rule the script documents is exercised by some mutation.
        documented = {
            line.split()[0]
            for line in check_template.__doc__.splitlines()
            if line.startswith("  ") and not line.startswith("   ") and line.split()
        }
        self.assertEqual(documented - rules, set(), "rules without a mutation")


if __name__ == "__main__":
    unittest.main(verbosity=2)
