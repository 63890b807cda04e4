"""Scripted demo calls: what caller and agent say, word by word (spaces split words).

The agents' lines use the centre's own phrases (spec §2, §3) so the transcript
checks have something to find: some calls greet and close properly, one
forgets the greeting, one the closing, one puts the caller on hold, one uses
forbidden phrases. Two are too short to be sampled.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Turn:
    channel: str  # "caller" | "agent"
    text: str  # words separated by spaces; punctuation is kept for the ear, not the transcript
    pause: float = 0.6  # silence before the turn, seconds


@dataclass(frozen=True)
class Script:
    id: str
    topic: str
    turns: tuple[Turn, ...]
    short: bool = False  # meant to be under the sampling threshold


def _c(text: str, pause: float = 0.6) -> Turn:
    return Turn("caller", text, pause)


def _a(text: str, pause: float = 0.6) -> Turn:
    return Turn("agent", text, pause)


SCRIPTS: dict[str, Script] = {
    s.id: s
    for s in (
        Script(
            "pension",
            "养老保险 pension",
            (
                _a("您好 ， 很 高兴 为 您 服务 。", 0.4),
                _c("你好 ， 我 想 问 一下 养老 保险 要 交 多少 年 才能 领 养老金 ？"),
                _a(
                    "按照 规定 ， 基本 养老 保险 累计 缴费 满 十五 年 ， 达到 法定 退休 年龄 ， 就 可以 按月 领取 基本 养老金 。"
                ),
                _c("那 我 中间 断 了 两 年 ， 还 算 吗 ？"),
                _a(
                    "中间 断缴 的 年限 不 计算 在 内 ， 但是 前后 的 缴费 年限 可以 累计 计算 ， 您 也 可以 按 规定 补缴 。"
                ),
                _c("哦 ， 明白 了 ， 谢谢 你 。"),
                _a("不 客气 ， 这 是 我们 应该 做 的 。 请问 您 还有 其他 的 问题 吗 ？"),
                _c("没有 了 。"),
                _a("感谢 您 的 来电 ， 再见 。"),
            ),
        ),
        Script(
            "medical_hold",
            "医疗保险 medical insurance, with a hold",
            (
                _a("您好 ， 很 高兴 为 您 服务 。", 0.4),
                _c("你好 ， 我 上个月 住院 花 了 一万 多 ， 想 问问 医疗 保险 能 报销 多少 ？"),
                _a("先生 ， 对不起 ， 请 您 稍 等 片刻 ， 我 立即 帮 您 查询 好 吗 ？"),
                _c("好 的 。"),
                _a("对不起 ， 让 您 久 等 了 。", 14.0),
                _a(
                    "您 这个 情况 ， 在 起付 标准 以上 的 部分 ， 按 比例 报销 ， 具体 要 看 您 住院 的 医院 等级 。",
                    0.5,
                ),
                _c("是 市 里 的 三级 医院 。"),
                _a(
                    "三级 医院 的 报销 比例 要 低 一些 ， 您 出院 后 带 着 发票 和 清单 到 经办 机构 办理 就 可以 。"
                ),
                _c("好 ， 谢谢 。"),
                _a("请问 您 还有 其他 的 问题 吗 ？ 不 客气 ， 再见 。"),
            ),
        ),
        Script(
            "no_greeting",
            "失业保险 unemployment, no greeting",
            (
                _a("喂 ， 你 说 吧 。", 0.4),
                _c("我 被 单位 辞退 了 ， 能 领 失业金 吗 ？"),
                _a(
                    "非 本人 意愿 中断 就业 ， 失业 前 缴纳 失业 保险 满 一 年 ， 并且 办理 了 失业 登记 ， 就 可以 申请 领取 失业 保险金 。"
                ),
                _c("要 到 哪里 去 办 ？"),
                _a(
                    "您 带 着 身份证 和 解除 劳动 合同 的 证明 ， 到 户籍 所在地 的 公共 就业 服务 机构 办理 失业 登记 。"
                ),
                _c("好 的 ， 知道 了 。"),
                _a("很 高兴 能 为 您 服务 ， 再见 。"),
            ),
        ),
        Script(
            "no_closing",
            "工伤 work injury, no closing",
            (
                _a("您好 ， 很 高兴 为 您 服务 。", 0.4),
                _c("我 在 工地 上 把 手 弄伤 了 ， 算 不 算 工伤 ？"),
                _a(
                    "在 工作 时间 和 工作 场所 内 ， 因 工作 原因 受到 事故 伤害 的 ， 应当 认定 为 工伤 。"
                ),
                _c("那 要 怎么 申请 呢 ？"),
                _a(
                    "用人 单位 应当 自 事故 发生 之日 起 三十 日 内 提出 工伤 认定 申请 ， 单位 不 申请 的 ， 您 本人 一 年 内 可以 自己 申请 。"
                ),
                _c("单位 要是 不 管 呢 ？"),
                _a(
                    "您 可以 带 着 医疗 诊断 证明 和 劳动 关系 证明 直接 去 社会 保险 行政 部门 申请 。"
                ),
                _c("行 ， 我 明白 了 。"),
                _a("好 的 ， 就 这样 。"),
            ),
        ),
        Script(
            "forbidden",
            "工资 wages, forbidden phrases",
            (
                _a("您好 ， 很 高兴 为 您 服务 。", 0.4),
                _c("老板 欠 了 我 三个月 工资 ， 我 该 怎么办 ？"),
                _a("这 不 归 我 管 ， 你 去 问 别人 。"),
                _c("你们 不是 劳动 保障 热线 吗 ？ 怎么 能 这么 说 ？"),
                _a(
                    "对不起 ， 拖欠 工资 您 可以 向 劳动 保障 监察 机构 投诉 ， 也 可以 申请 劳动 争议 仲裁 。"
                ),
                _c("那 要 带 什么 材料 ？"),
                _a("带 上 身份证 、 劳动 合同 或者 工资条 等 能 证明 劳动 关系 的 材料 。"),
                _c("好 吧 。"),
                _a("感谢 您 的 来电 ， 再见 。"),
            ),
        ),
        Script(
            "contract",
            "劳动合同 labour contract",
            (
                _a("您好 ， 很 高兴 为 您 服务 。", 0.4),
                _c(
                    "我 在 公司 干 了 一 年 多 ， 公司 一直 没 跟 我 签 劳动 合同 ， 这样 合法 吗 ？"
                ),
                _a(
                    "用人 单位 自 用工 之日 起 超过 一个月 不满 一 年 未 签订 书面 劳动 合同 的 ， 应当 向 劳动者 每月 支付 二倍 的 工资 。"
                ),
                _c("超过 一 年 了 呢 ？"),
                _a("满 一 年 仍 未 签订 的 ， 视为 已经 订立 无 固定 期限 劳动 合同 。"),
                _c("明白 了 ， 谢谢 。"),
                _a("欢迎 您 再次 使用 12333 热线 服务 ， 谢谢 。"),
            ),
        ),
        Script(
            "card",
            "社保卡 social-security card",
            (
                _a("您好 ， 很 高兴 为 您 服务 。", 0.4),
                _c("我 的 社保卡 丢 了 ， 怎么 补办 ？"),
                _a("对不起 ， 请 您 稍 等 ， 我 给 您 查阅 资料 。"),
                _a(
                    "您 先 拨打 服务 电话 办理 挂失 ， 然后 带 着 身份证 到 社保卡 服务 网点 申请 补办 。",
                    6.0,
                ),
                _c("要 多 长 时间 能 拿到 ？"),
                _a("一般 在 网点 可以 即时 制卡 ， 部分 网点 需要 十五 个 工作日 左右 。"),
                _c("好 的 ， 谢谢 你 。"),
                _a("感谢 您 的 来电 ， 再见 。"),
            ),
        ),
        Script(
            "wrong_number",
            "打错电话 wrong number (short)",
            (
                _a("您好 ， 很 高兴 为 您 服务 。", 0.4),
                _c("是 出租车 公司 吗 ？"),
                _a("对不起 ， 这里 是 劳动 保障 电话 咨询 服务 中心 。"),
            ),
            short=True,
        ),
        Script(
            "silent",
            "无声 silent caller (short)",
            (
                _a("您好 ， 很 高兴 为 您 服务 。", 0.4),
                _a("您好 ， 请问 您 需要 咨询 什么 问题 ？", 2.0),
                _a("对不起 ， 我 听 不到 您 的 声音 ， 请 您 重新 再 拨 一遍 。", 2.0),
            ),
            short=True,
        ),
    )
}

# The usual mix of a month's calls; the demo month adds one of each kind.
ORDINARY = ("pension", "contract", "card", "medical_hold", "pension", "contract")
FLAWED = ("no_greeting", "no_closing", "forbidden")
SHORT = ("wrong_number", "silent")
