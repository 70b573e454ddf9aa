"""Model stand-ins that a real worker subprocess can load by dotted path (fault tests only)."""

import time

from ecomcms.inference.fake import FakeGenerator


class SlowFakeGenerator(FakeGenerator):
    """Takes a few seconds per batch, so a test can kill the worker in the middle of one."""

    model_id = "slow-fake-generator"

    def generate(self, prompts, options):
        time.sleep(3)
        return super().generate(prompts, options)
