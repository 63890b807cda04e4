"""Pinyin of common Chinese surnames, so an English prompt can say "surname Zhang".

A surname missing here is simply not spoken in English (the Chinese prompt
always says it). Compound surnames come first when a name is split.
"""

from __future__ import annotations

_TABLE = """
王Wang 李Li 张Zhang 刘Liu 陈Chen 杨Yang 黄Huang 赵Zhao 吴Wu 周Zhou 徐Xu 孙Sun 马Ma 朱Zhu
胡Hu 郭Guo 何He 高Gao 林Lin 罗Luo 郑Zheng 梁Liang 谢Xie 宋Song 唐Tang 许Xu 韩Han 冯Feng
邓Deng 曹Cao 彭Peng 曾Zeng 肖Xiao 田Tian 董Dong 袁Yuan 潘Pan 于Yu 蒋Jiang 蔡Cai 余Yu 杜Du
叶Ye 程Cheng 苏Su 魏Wei 吕Lyu 丁Ding 任Ren 沈Shen 姚Yao 卢Lu 姜Jiang 崔Cui 钟Zhong 谭Tan
陆Lu 汪Wang 范Fan 金Jin 石Shi 廖Liao 贾Jia 夏Xia 韦Wei 付Fu 方Fang 白Bai 邹Zou 孟Meng
熊Xiong 秦Qin 邱Qiu 江Jiang 尹Yin 薛Xue 闫Yan 段Duan 雷Lei 侯Hou 龙Long 史Shi 陶Tao 黎Li
贺He 顾Gu 毛Mao 郝Hao 龚Gong 邵Shao 万Wan 钱Qian 严Yan 覃Qin 武Wu 戴Dai 莫Mo 孔Kong
向Xiang 汤Tang 常Chang 温Wen 康Kang 施Shi 文Wen 牛Niu 樊Fan 葛Ge 邢Xing 安An 齐Qi 易Yi
乔Qiao 伍Wu 庞Pang 颜Yan 倪Ni 庄Zhuang 聂Nie 章Zhang 鲁Lu 岳Yue 翟Zhai 殷Yin 詹Zhan 申Shen
耿Geng 关Guan 兰Lan 焦Jiao 俞Yu 左Zuo 柳Liu 甘Gan 祝Zhu 包Bao 宁Ning 尚Shang 符Fu 舒Shu
阮Ruan 柯Ke 纪Ji 梅Mei 童Tong 凌Ling 毕Bi 单Shan 季Ji 裴Pei 霍Huo 涂Tu 成Cheng 苗Miao
谷Gu 盛Sheng 曲Qu 翁Weng 冉Ran 骆Luo 蓝Lan 路Lu 游You 辛Xin 靳Jin 管Guan 柴Chai 蒙Meng
鲍Bao 华Hua 喻Yu 祁Qi 蒲Pu 房Fang 滕Teng 屈Qu 饶Rao 解Xie 牟Mou 艾Ai 尤You 阳Yang 时Shi
穆Mu 司Si 卓Zhuo 古Gu 吉Ji 缪Miao 简Jian 车Che 项Xiang 连Lian 麦Mai 褚Chu 娄Lou 窦Dou
戚Qi 岑Cen 景Jing 党Dang 宫Gong 费Fei 卜Bu 冷Leng 晏Yan 席Xi 卫Wei 米Mi 柏Bai 宗Zong
瞿Qu 桂Gui 全Quan 佟Tong 应Ying 臧Zang 闵Min 邬Wu 边Bian 卞Bian 姬Ji 师Shi 仇Qiu 栾Luan
隋Sui 商Shang 刁Diao 沙Sha 荣Rong 巫Wu 寇Kou 桑Sang 郎Lang 甄Zhen 丛Cong 仲Zhong 虞Yu
敖Ao 巩Gong 明Ming 池Chi 迟Chi 邝Kuang 朴Piao 欧阳Ouyang 司马Sima 上官Shangguan
诸葛Zhuge 东方Dongfang 皇甫Huangfu 尉迟Yuchi 公孙Gongsun 慕容Murong 长孙Zhangsun 令狐Linghu
司徒Situ 夏侯Xiahou 宇文Yuwen 端木Duanmu 独孤Dugu 南宫Nangong 西门Ximen
"""


def _parse(table: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for entry in table.split():
        split = next(i for i, ch in enumerate(entry) if ch.isascii())
        out.setdefault(entry[:split], entry[split:])
    return out


PINYIN = _parse(_TABLE)
COMPOUND = frozenset(s for s in PINYIN if len(s) == 2)


def surname_of(name: str) -> str:
    """The family name: a compound surname (欧阳) when listed, else the first character.

    Names written in Latin letters ("Li Wei") keep their first word.
    """
    name = name.strip()
    if not name:
        return ""
    if name.isascii():
        return name.split()[0]
    return name[:2] if name[:2] in COMPOUND else name[:1]


def pinyin(surname: str) -> str:
    """``张`` → ``Zhang``; "" when not in the table (or already Latin letters: kept)."""
    if surname.isascii():
        return surname
    return PINYIN.get(surname, "")
